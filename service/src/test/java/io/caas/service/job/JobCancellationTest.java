package io.caas.service.job;

import io.caas.service.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.service.support.Api;
import io.caas.service.support.TestMaterial;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import java.nio.file.Path;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * Cancelling queued and running jobs, and the job time limit. The worker holds each job for a minute after taking
 * it (the fault-injection pause), so a job is reliably running, and a second one reliably queued behind it on the
 * single worker thread; the 20 s time limit stops a job that nobody cancels.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "caas.jobs.fault-injection.pause-after-start=60s", "caas.jobs.worker-threads=1",
        "caas.limits.job-timeout=20s"})
@DirtiesContext
class JobCancellationTest {

    /** Its own database: this context's slow worker must not take the jobs of other test classes. */
    private static final Path OWN_DATA_DIR = TempDirs.create("caas-cancel-test");

    @DynamicPropertySource
    static void ownDataDir(DynamicPropertyRegistry registry) {
        registry.add("caas.data-dir", OWN_DATA_DIR::toString);
    }

    @LocalServerPort
    int port;

    @Test
    void cancellingInterruptsARunningJobAndDropsAQueuedOne() throws Exception {
        Api api = new Api(port);
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        String model = api.postRaw("/v1/models", bytes, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String running = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd")).json().get("id").asText();
        api.awaitJob(running, Duration.ofSeconds(30), Set.of("running"));
        String queued = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd")).json().get("id").asText();

        // a model in use cannot be deleted from under its jobs
        Api.Response delete = api.delete("/v1/models/" + model);
        assertThat(delete.status()).isEqualTo(409);
        assertThat(delete.contentType()).isEqualTo("application/problem+json");

        Api.Response cancelQueued = api.postJson("/v1/jobs/" + queued + "/cancel", Map.of());
        assertThat(cancelQueued.status()).isEqualTo(202);
        assertThat(cancelQueued.json().get("status").asText()).isEqualTo("cancelled");

        Api.Response cancelRunning = api.postJson("/v1/jobs/" + running + "/cancel", Map.of());
        assertThat(cancelRunning.status()).isEqualTo(202);
        assertThat(cancelRunning.json().get("cancelRequested").asBoolean()).isTrue();
        // Within 30 s, half the 60 s pause: the worker thread was interrupted, not waited out.
        JsonNode cancelled = api.awaitJob(running, Duration.ofSeconds(30), Set.of("cancelled", "succeeded", "failed"));
        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.get("finishedAt").isNull()).isFalse();
        assertThat(api.get("/v1/jobs/" + running + "/artifact").status()).isEqualTo(409);

        // the queued job never ran
        JsonNode never = api.get("/v1/jobs/" + queued).json();
        assertThat(never.get("status").asText()).isEqualTo("cancelled");
        assertThat(never.get("attempts").asInt()).isZero();

        // the audit trail: who submitted, who cancelled, and who carried out each state change
        String caller = cancelled.get("submittedBy").asText();
        assertThat(caller).startsWith("key:tests-key (");
        assertThat(actorOf(api, queued, "state", "queued")).isEqualTo(caller);
        assertThat(actorOf(api, queued, "state", "cancelled")).isEqualTo(caller);
        assertThat(actorOf(api, running, "state", "running")).startsWith("worker:");
        assertThat(actorOf(api, running, "log", null)).as("who asked to cancel").isEqualTo(caller);
        assertThat(actorOf(api, running, "state", "cancelled")).as("the worker that stopped it").startsWith("worker:");

        // the cancelled job gave its worker back: the only worker thread takes the next job at once
        String next = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd")).json().get("id").asText();
        api.awaitJob(next, Duration.ofSeconds(30), Set.of("running"));
        api.postJson("/v1/jobs/" + next + "/cancel", Map.of());
        api.awaitJob(next, Duration.ofSeconds(30), Set.of("cancelled"));

        assertThat(api.delete("/v1/models/" + model).status()).isEqualTo(204);
    }

    /** The actor of the job's first event of this type (and, for state events, with this target state). */
    static String actorOf(Api api, String job, String type, String to) {
        for (JsonNode e : api.get("/v1/jobs/" + job + "/events").json().get("items")) {
            if (e.get("type").asText().equals(type) && (to == null || to.equals(e.path("data").path("to").asText()))) {
                assertThat(e.has("at")).isTrue();
                return e.path("actor").asText(null);
            }
        }
        throw new AssertionError("job " + job + " has no " + type + " event" + (to == null ? "" : " to " + to));
    }

    @Test
    void aJobOverTheTimeLimitIsStoppedAndFailedWithTheReason() throws Exception {
        Api api = new Api(port);
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        String model = api.postRaw("/v1/models", bytes, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String id = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd")).json().get("id").asText();
        api.awaitJob(id, Duration.ofSeconds(30), Set.of("running"));

        // well before the 60 s pause ends: the 20 s limit interrupted it
        JsonNode failed = api.awaitJob(id, Duration.ofSeconds(35), Set.of("failed", "succeeded", "cancelled"));
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("message").asText()).contains("time limit");
        assertThat(failed.get("error").asText()).contains("job-timeout");
    }
}
