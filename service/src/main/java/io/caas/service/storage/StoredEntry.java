package io.caas.service.storage;

import java.time.Instant;

/** An object found in the store by listing it, with when it was last written. */
public record StoredEntry(String key, Instant lastModified) {
}
