package io.caas.service.storage;

/**
 * The client's stream failed before its end (the client went away, or sent a truncated body). The client's
 * doing, not the store's: nothing is kept, and it is answered (where anyone still listens) as a bad upload.
 */
public class UploadBrokenOffException extends RuntimeException {

    public UploadBrokenOffException(long bytesRead, Throwable cause) {
        super("the upload broke off after " + bytesRead + " bytes (" + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + ")", cause);
    }
}
