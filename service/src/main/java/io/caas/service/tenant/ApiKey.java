package io.caas.service.tenant;

import java.time.OffsetDateTime;
import java.util.UUID;

/** A key as stored: its hash, never the key itself. */
public record ApiKey(UUID id, UUID tenantId, String name, String prefix, String hash, OffsetDateTime createdAt,
                     OffsetDateTime revokedAt) {

    public boolean active() {
        return revokedAt == null;
    }
}
