package io.caas.service.problem;

import java.util.List;

/** A well-formed request whose content cannot be acted on; lists every problem so the user fixes them at once. */
public class InvalidRequestException extends RuntimeException {

    private final List<String> errors;

    public InvalidRequestException(String message, List<String> errors) {
        super(message);
        this.errors = List.copyOf(errors);
    }

    public InvalidRequestException(String message) {
        this(message, List.of(message));
    }

    public List<String> errors() {
        return errors;
    }
}
