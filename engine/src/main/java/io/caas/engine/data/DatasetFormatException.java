package io.caas.engine.data;

/** The dataset cannot be used: malformed, truncated, unsafe (zip slip, bomb) or over the configured limits. */
public class DatasetFormatException extends RuntimeException {

    public DatasetFormatException(String message) {
        super(message);
    }

    public DatasetFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
