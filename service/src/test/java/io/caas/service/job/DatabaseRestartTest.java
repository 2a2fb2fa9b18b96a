package io.caas.service.job;

import io.caas.service.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.service.support.Api;
import io.caas.service.support.RestartablePostgres;
import io.caas.service.support.TestMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * PostgreSQL restarted while a job runs: the API answers problem+json (not a hang) while the database is away,
 * reconnects when it is back, and the job ends (succeeded, or failed with its reason), never stuck running. The
 * worker holds the job for 15 s after taking it, so the outage falls inside the job.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "caas.jobs.fault-injection.pause-after-start=15s", "caas.jobs.worker-threads=1",
        "spring.datasource.hikari.connection-timeout=2000",
        "jobrunr.background-job-server.poll-interval-in-seconds=5"})
@DirtiesContext
class DatabaseRestartTest {

    static final RestartablePostgres POSTGRES = new RestartablePostgres();
    static final Path DATA_DIR = TempDirs.create("caas-db-restart");

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", POSTGRES::jdbcUrl);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "postgres");
        registry.add("caas.data-dir", DATA_DIR::toString);
    }

    @AfterAll
    static void stopDatabase() {
        // The context (cached until the JVM ends) may still hold connections; that only logs.
        POSTGRES.close();
    }

    @LocalServerPort
    int port;

    @Test
    void aJobEndsCleanlyAndTheApiRecoversWhenTheDatabaseRestartsUnderIt() throws Exception {
        Api api = new Api(port);
        byte[] model = Files.readAllBytes(TestMaterial.wakeWordHead());
        String modelId = api.postRaw("/v1/models", model, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String job = api.postJson("/v1/jobs", Map.of("modelId", modelId, "method", "svd")).json().get("id").asText();
        api.awaitJob(job, Duration.ofSeconds(30), Set.of("running"));

        POSTGRES.stop();
        long asked = System.nanoTime();
        Api.Response during = api.get("/v1/jobs/" + job);
        Duration answeredIn = Duration.ofNanos(System.nanoTime() - asked);
        assertThat(during.status()).as(new String(during.body())).isEqualTo(503);
        assertThat(during.headers().getFirst("Retry-After")).isNotBlank();
        assertThat(during.contentType()).isEqualTo("application/problem+json");
        assertThat(new String(during.body())).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(answeredIn).as("bounded by the pool's connection timeout").isLessThan(Duration.ofSeconds(15));
        Thread.sleep(3000);
        POSTGRES.start();

        JsonNode ended = api.awaitJob(job, Duration.ofSeconds(120), Set.of("succeeded", "failed", "cancelled"));
        if (ended.get("status").asText().equals("failed")) {
            assertThat(ended.get("error").asText()).as("a failure says why").isNotBlank();
        } else {
            assertThat(ended.get("status").asText()).isEqualTo("succeeded");
            assertThat(api.get("/v1/jobs/" + job + "/artifact").status()).isEqualTo(200);
        }
        assertThat(Api.anonymous(port).get("/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(api.get("/v1/models/" + modelId).status()).isEqualTo(200);
    }
}
