package io.caas.service.storage;

/**
 * A row that names an object in the store.
 *
 * @param owner what the row is and its id, for the log ("model 5f0c…")
 */
public record ObjectReference(String owner, String key) {
}
