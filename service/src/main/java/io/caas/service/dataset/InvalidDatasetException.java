package io.caas.service.dataset;

/** A dataset upload that cannot be read, or does not fit the model it is used with. */
public class InvalidDatasetException extends RuntimeException {

    public InvalidDatasetException(String message, Throwable cause) {
        super(message, cause);
    }

    public InvalidDatasetException(String message) {
        super(message);
    }
}
