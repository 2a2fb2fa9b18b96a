package io.caas.service.security;

import static io.caas.service.support.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.support.Api;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.TestTenants;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Who may call what: tenant keys, the admin token, the metrics token, and nobody. */
class AuthenticationTest extends H2ServiceTest {

    @Autowired
    JdbcClient jdbc;

    @Test
    void theApiNeedsAKeyAndSaysHowToSendOne() {
        Api.Response r = Api.anonymous(port).get("/v1/models");
        assertProblem(r, 401, "unauthorized");
        assertThat(r.headers().getFirst(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
        assertThat(r.json().get("detail").asText()).contains("Authorization: Bearer");

        assertProblem(Api.withToken(port, "caas_not-a-key-that-exists").get("/v1/models"), 401, "unauthorized");
        assertProblem(Api.withToken(port, "").get("/v1/jobs"), 401, "unauthorized");
        // (HttpURLConnection drops the body of a 401 answer to a streamed POST; the status and challenge show)
        Api.Response post = Api.anonymous(port).postJson("/v1/jobs", Map.of("method", "svd"));
        assertThat(post.status()).isEqualTo(401);
        assertThat(post.headers().getFirst(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
    }

    @Test
    void healthAndTheApiDescriptionStayOpen() {
        Api anonymous = Api.anonymous(port);
        assertThat(anonymous.get("/actuator/health").status()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(anonymous.get("/v3/api-docs").status()).isEqualTo(200);
    }

    @Test
    void thePrometheusScrapeTakesTheMetricsTokenAndNothingElseDoes() {
        assertProblem(Api.anonymous(port).get("/actuator/prometheus"), 401, "unauthorized");
        assertProblem(new Api(port).get("/actuator/prometheus"), 403, "forbidden");
        Api.Response scrape = Api.withToken(port, TestTenants.METRICS_TOKEN).get("/actuator/prometheus");
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(new String(scrape.body())).contains("caas_jobs_queued");
        assertThat(Api.withToken(port, TestTenants.ADMIN_TOKEN).get("/actuator/prometheus").status()).isEqualTo(200);

        // the scraper's secret opens nothing else: no tenant data, no key management, no other actuator endpoint
        Api scraper = Api.withToken(port, TestTenants.METRICS_TOKEN);
        assertProblem(scraper.get("/v1/models"), 403, "forbidden");
        assertProblem(scraper.get("/v1/admin/tenants"), 403, "forbidden");
        assertProblem(scraper.get("/actuator/metrics"), 403, "forbidden");
    }

    @Test
    void tenantKeysCannotManageTenantsOrKeys() {
        Api tenant = new Api(port);
        assertProblem(tenant.get("/v1/admin/tenants"), 403, "forbidden");
        assertProblem(tenant.postJson("/v1/admin/tenants", Map.of("name", "sneaky")), 403, "forbidden");
        assertProblem(tenant.get("/actuator/metrics"), 403, "forbidden");
    }

    @Test
    void keysAreShownOnceStoredOnlyAsHashesAndStopWorkingWhenRevoked() throws Exception {
        TestTenants.Issued issued = TestTenants.create(port, "revocation");
        Api user = Api.withToken(port, issued.key());
        assertThat(user.get("/v1/models").status()).isEqualTo(200);

        Api admin = Api.withToken(port, TestTenants.ADMIN_TOKEN);
        Api.Response keys = admin.get("/v1/admin/tenants/" + issued.tenantId() + "/keys");
        assertThat(keys.status()).isEqualTo(200);
        assertThat(keys.json()).hasSize(1);
        assertThat(keys.json().get(0).has("key")).as("the secret is never listed").isFalse();
        assertThat(issued.key()).startsWith(keys.json().get(0).get("prefix").asText());

        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(issued.key().getBytes(StandardCharsets.UTF_8)));
        List<Map<String, Object>> rows = jdbc.sql("select * from api_keys where tenant_id = cast(:t as uuid)")
                .param("t", issued.tenantId()).query().listOfRows();
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("hash")).isEqualTo(hash);
        assertThat(rows.get(0).values()).noneMatch(v -> String.valueOf(v).equals(issued.key()));

        Api.Response revoked = admin.delete("/v1/admin/keys/" + issued.keyId());
        assertThat(revoked.status()).isEqualTo(200);
        assertThat(revoked.json().get("revokedAt").isNull()).isFalse();
        assertProblem(user.get("/v1/models"), 401, "unauthorized");
    }

    @Test
    void tenantNamesAreUniqueAndRequestsAreValidated() {
        Api admin = Api.withToken(port, TestTenants.ADMIN_TOKEN);
        String name = "unique-" + System.nanoTime();
        assertThat(admin.postJson("/v1/admin/tenants", Map.of("name", name)).status()).isEqualTo(201);
        assertProblem(admin.postJson("/v1/admin/tenants", Map.of("name", name)), 409, "conflict");
        assertProblem(admin.postJson("/v1/admin/tenants", Map.of("name", " ")), 400, "invalid-request");
        assertProblem(admin.postJson("/v1/admin/tenants/" + java.util.UUID.randomUUID() + "/keys",
                Map.of("name", "k")), 404, "not-found");
    }
}
