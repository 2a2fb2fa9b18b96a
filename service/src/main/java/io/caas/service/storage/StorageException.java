package io.caas.service.storage;

/** The store could not do what was asked (disk full, permissions, network). Never the user's fault. */
public class StorageException extends RuntimeException {

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
