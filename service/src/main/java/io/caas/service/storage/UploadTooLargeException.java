package io.caas.service.storage;

/** The upload went past the configured limit; nothing of it is kept. */
public class UploadTooLargeException extends RuntimeException {

    private final long limitBytes;

    public UploadTooLargeException(long limitBytes) {
        super("upload exceeds the limit of " + limitBytes + " bytes");
        this.limitBytes = limitBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }
}
