package io.caas.service.tenant;

import java.util.UUID;

/**
 * Who is making an API request: a tenant, through one of its keys. Everything the request reads or changes is
 * limited to that tenant.
 */
public record Caller(UUID tenantId, UUID keyId, String keyName) {

    /** How the caller appears in the audit trail (job events): the key's name and id, never its secret. */
    public String actor() {
        return "key:" + keyName + " (" + keyId + ")";
    }
}
