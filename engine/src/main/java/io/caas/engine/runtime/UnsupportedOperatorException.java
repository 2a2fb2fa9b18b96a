package io.caas.engine.runtime;

/** A node the interpreter cannot execute: an operator outside the registry, or an attribute value it refuses. */
public class UnsupportedOperatorException extends RuntimeException {

    private final String opType;

    public UnsupportedOperatorException(String opType, String message) {
        super(message);
        this.opType = opType;
    }

    public String opType() {
        return opType;
    }
}
