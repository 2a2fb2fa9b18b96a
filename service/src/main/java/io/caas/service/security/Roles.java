package io.caas.service.security;

/** The three kinds of caller, as Spring Security roles. */
final class Roles {

    /** An API key of a tenant: the /v1 API on that tenant's resources. */
    static final String TENANT = "TENANT";
    /** The operator: tenants and keys, every actuator endpoint. */
    static final String ADMIN = "ADMIN";
    /** A metrics scraper: /actuator/prometheus only. */
    static final String METRICS = "METRICS";

    private Roles() {
    }
}
