package io.caas.service.security;

import io.caas.service.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.support.Api;
import io.caas.service.support.Problems;
import io.caas.service.support.TestMaterial;
import io.caas.service.support.TestTenants;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The per-key request rate and the per-tenant active-job limit, set low here. The worker holds each job for 30 s
 * after taking it, so a submitted job stays active (queued or running) while the limit is tried.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "caas.limits.requests-per-minute=60", "caas.limits.request-burst=30",
        "caas.limits.max-active-jobs-per-tenant=1",
        "caas.jobs.fault-injection.pause-after-start=30s", "caas.jobs.worker-threads=1"})
@DirtiesContext
class TrustLimitsTest {

    private static final Path OWN_DATA_DIR = TempDirs.create("caas-limits-test");

    @DynamicPropertySource
    static void ownDataDir(DynamicPropertyRegistry registry) {
        registry.add("caas.data-dir", OWN_DATA_DIR::toString);
    }

    @LocalServerPort
    int port;

    @Test
    void aKeyOverItsRateGets429WithRetryAfterWhileOtherKeysGoOn() throws Exception {
        Api hasty = Api.withToken(port, TestTenants.create(port, "hasty").key());
        Api other = Api.withToken(port, TestTenants.create(port, "other").key());
        for (int i = 0; i < 30; i++) {
            assertThat(hasty.get("/v1/models").status()).as("request %d within the burst", i + 1).isEqualTo(200);
        }
        Api.Response refused = hasty.get("/v1/models");
        Problems.assertProblem(refused, 429, "rate-limited");
        long retryAfter = Long.parseLong(refused.headers().getFirst(HttpHeaders.RETRY_AFTER));
        assertThat(retryAfter).isBetween(1L, 2L); // 60 a minute: a token a second

        assertThat(other.get("/v1/models").status()).as("the limit is per key").isEqualTo(200);
        assertThat(Api.withToken(port, TestTenants.ADMIN_TOKEN).get("/v1/admin/tenants").status())
                .as("the operator is not limited").isEqualTo(200);

        Thread.sleep(Duration.ofSeconds(retryAfter).toMillis());
        assertThat(hasty.get("/v1/models").status()).as("after Retry-After").isEqualTo(200);
    }

    @Test
    void aTenantAtItsActiveJobLimitGets429UntilOneEnds() throws Exception {
        Api busy = Api.withToken(port, TestTenants.create(port, "busy").key());
        Api neighbour = Api.withToken(port, TestTenants.create(port, "neighbour").key());
        byte[] model = Files.readAllBytes(TestMaterial.wakeWordHead());
        String busyModel = busy.postRaw("/v1/models", model, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String neighbourModel = neighbour.postRaw("/v1/models", model, MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();

        Api.Response first = busy.postJson("/v1/jobs", Map.of("modelId", busyModel, "method", "svd"));
        assertThat(first.status()).isEqualTo(201);
        Api.Response second = busy.postJson("/v1/jobs", Map.of("modelId", busyModel, "method", "svd"));
        Problems.assertProblem(second, 429, "too-many-jobs");
        assertThat(second.json().get("limit").asInt()).isEqualTo(1);
        assertThat(second.headers().getFirst(HttpHeaders.RETRY_AFTER)).isNotBlank();

        Api.Response neighbours = neighbour.postJson("/v1/jobs", Map.of("modelId", neighbourModel, "method", "svd"));
        assertThat(neighbours.status()).as("the limit is per tenant").isEqualTo(201);

        String firstId = first.json().get("id").asText();
        assertThat(busy.postJson("/v1/jobs/" + firstId + "/cancel", Map.of()).status()).isEqualTo(202);
        busy.awaitJob(firstId, Duration.ofSeconds(30), Set.of("cancelled"));
        Api.Response again = busy.postJson("/v1/jobs", Map.of("modelId", busyModel, "method", "svd"));
        assertThat(again.status()).as("a slot freed by the cancellation").isEqualTo(201);

        for (Api api : new Api[] {busy, neighbour}) {
            for (var job : api.get("/v1/jobs?status=queued").json().get("items")) {
                api.postJson("/v1/jobs/" + job.get("id").asText() + "/cancel", Map.of());
            }
            for (var job : api.get("/v1/jobs?status=running").json().get("items")) {
                api.postJson("/v1/jobs/" + job.get("id").asText() + "/cancel", Map.of());
            }
        }
    }
}
