package io.caas.service.problem;

/** The request is valid but the resource's current state does not allow it (e.g. cancelling a finished job). */
public class ConflictException extends RuntimeException {

    public ConflictException(String message) {
        super(message);
    }
}
