package io.caas.service.upload;

/** An upload that is not there at all: empty body, no file part. */
public class BadUploadException extends RuntimeException {

    public BadUploadException(String message) {
        super(message);
    }
}
