package io.caas.service.job;

/** A job that cannot complete for a reason the user should read (the model was deleted, the data does not fit). */
public class JobFailure extends RuntimeException {

    public JobFailure(String message) {
        super(message);
    }

    public JobFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
