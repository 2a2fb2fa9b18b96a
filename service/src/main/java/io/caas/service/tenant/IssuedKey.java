package io.caas.service.tenant;

/** A key just created: the only moment its secret exists outside the client. */
public record IssuedKey(ApiKey key, String secret) {
}
