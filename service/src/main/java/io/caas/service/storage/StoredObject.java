package io.caas.service.storage;

/** An object as the store holds it: where, how big, and its SHA-256 (hex) computed while it was written. */
public record StoredObject(String key, long sizeBytes, String sha256) {
}
