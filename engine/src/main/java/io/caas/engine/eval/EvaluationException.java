package io.caas.engine.eval;

/** A model could not be measured: ONNX Runtime refused it, or its inputs do not fit the data. */
public class EvaluationException extends RuntimeException {

    public EvaluationException(String message) {
        super(message);
    }

    public EvaluationException(String message, Throwable cause) {
        super(message, cause);
    }
}
