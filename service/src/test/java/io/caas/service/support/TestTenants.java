package io.caas.service.support;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tenants and keys for the tests, made through the admin API like an operator would. Each running service (by
 * port) gets one shared tenant that plain {@code new Api(port)} clients use; isolation tests make more.
 */
public final class TestTenants {

    /** Set for every test context in src/test/resources/application.properties. */
    public static final String ADMIN_TOKEN = "test-admin-token-for-the-test-suite";
    public static final String METRICS_TOKEN = "test-metrics-token-for-the-test-suite";

    private static final Map<Integer, String> SHARED_KEYS = new ConcurrentHashMap<>();

    private TestTenants() {
    }

    /** A tenant and a key. */
    public record Issued(String tenantId, String keyId, String key) {
    }

    /** The key of the tenant that plain {@code new Api(port)} clients call as. */
    public static String sharedKey(int port) {
        return SHARED_KEYS.computeIfAbsent(port, p -> create(p, "tests").key());
    }

    /** A fresh tenant (named {@code name} plus a random suffix) with one key. */
    public static Issued create(int port, String name) {
        return create(port, name, ADMIN_TOKEN);
    }

    /** The same, on a node whose admin token is not the test suite's (one that generated its own). */
    public static Issued create(int port, String name, String adminToken) {
        Api admin = Api.withToken(port, adminToken);
        Api.Response tenant = admin.postJson("/v1/admin/tenants", Map.of("name", name + "-" + UUID.randomUUID()));
        if (tenant.status() != 201) {
            throw new AssertionError("cannot create a test tenant: " + tenant.status() + " " + new String(tenant.body()));
        }
        String tenantId = tenant.json().get("id").asText();
        Api.Response key = admin.postJson("/v1/admin/tenants/" + tenantId + "/keys", Map.of("name", name + "-key"));
        if (key.status() != 201) {
            throw new AssertionError("cannot create a test key: " + key.status() + " " + new String(key.body()));
        }
        return new Issued(tenantId, key.json().get("id").asText(), key.json().get("key").asText());
    }
}
