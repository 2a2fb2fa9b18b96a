package io.caas.service.job;

import io.caas.service.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.service.support.Api;
import io.caas.service.support.EmbeddedPostgresDatabase;
import io.caas.service.support.TestMaterial;
import io.caas.service.support.WorkerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The deployment shape: this JVM is an API node only; two workers are separate JVMs on the same PostgreSQL.
 * Worker A takes the job; with worker B up too, A is killed with SIGKILL mid-job; B must pick the job up and
 * finish it, and the job's record must say so.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "caas.roles=api")
@DirtiesContext
class WorkerFailoverTest {

    /** Its own database: no other test context's worker may take the job. */
    private static final String OWN_JDBC_URL = EmbeddedPostgresDatabase.newDatabase();
    private static final Path OWN_DATA_DIR = TempDirs.create("caas-failover-test");

    @DynamicPropertySource
    static void ownDatabase(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> OWN_JDBC_URL);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "postgres");
        registry.add("caas.data-dir", OWN_DATA_DIR::toString);
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcClient jdbc;

    @Test
    void aJobWhoseWorkerIsKilledCompletesOnAnotherWorker() throws Exception {
        Api api = new Api(port);
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        String model = api.postRaw("/v1/models", bytes, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String id = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd")).json().get("id").asText();

        Path logs = Files.createDirectories(Path.of("target", "worker-logs"));
        // Worker A holds the job long after taking it, so it is surely mid-job when killed.
        WorkerProcess a = WorkerProcess.start(OWN_JDBC_URL, OWN_DATA_DIR, logs.resolve("worker-a.log"),
                "--caas.jobs.fault-injection.pause-after-start=10m");
        WorkerProcess b = null;
        try {
            JsonNode running = api.awaitJob(id, Duration.ofSeconds(120), Set.of("running"));
            assertThat(running.get("worker").asText()).endsWith("/" + a.pid());
            // Both workers are up and polling the same queue when A dies.
            b = WorkerProcess.start(OWN_JDBC_URL, OWN_DATA_DIR, logs.resolve("worker-b.log"));
            awaitJobRunrServers(2, Duration.ofSeconds(120));
        } finally {
            a.kill();
        }

        try (WorkerProcess survivor = b) {
            JsonNode done = api.awaitJob(id, Duration.ofSeconds(180), Set.of("succeeded", "failed", "cancelled"));

            assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("succeeded");
            assertThat(done.get("attempts").asInt()).isEqualTo(2);
            assertThat(done.get("worker").asText()).endsWith("/" + survivor.pid());
            List<String> transitions = new ArrayList<>();
            JsonNode resumed = null;
            for (JsonNode e : api.get("/v1/jobs/" + id + "/events").json().get("items")) {
                if (e.get("type").asText().equals("state")) {
                    transitions.add(e.get("data").get("transition").asText());
                    if (e.get("data").get("transition").asText().equals("RESUME_AFTER_WORKER_LOSS")) {
                        resumed = e;
                    }
                }
            }
            assertThat(transitions).containsExactly("SUBMIT", "START", "RESUME_AFTER_WORKER_LOSS", "SUCCEED");
            assertThat(resumed.get("message").asText()).contains("/" + a.pid()).contains("/" + survivor.pid());
            assertThat(api.get("/v1/jobs/" + id + "/artifact").status()).isEqualTo(200);
        }
    }

    /** JobRunr's own registry of live background job servers, in the shared database. */
    private void awaitJobRunrServers(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Long live = jdbc.sql("select count(*) from jobrunr_backgroundjobservers where running = 1")
                    .query(Long.class).single();
            if (live >= count) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(count + " JobRunr servers did not register within " + timeout);
    }
}
