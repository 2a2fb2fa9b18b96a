package io.caas.service.config;

import io.caas.engine.runtime.DeviceChoice;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The service's own settings ({@code caas.*}): every one is here, its default in application.yml (with the
 * environment variable that overrides it), its meaning in docs/configuration.md, which ConfigurationDocumentedTest
 * holds to both. Checked at start: a node with a setting out of range does not start, and says which.
 *
 * @param roles "api" serves the REST API, "worker" runs compression jobs; a node may have both
 */
@Validated
@ConfigurationProperties(prefix = "caas")
public record CaasProperties(@NotBlank String dataDir, @NotEmpty List<String> roles, @Valid @NotNull Storage storage,
                             @Valid @NotNull Limits limits, @Valid @NotNull Jobs jobs,
                             @Valid @NotNull Security security, @Valid @NotNull Health health) {

    /**
     * @param orphanGrace how long a complete object no row names is left before it is removed: the time between a
     *                    write and its row (an upload being inspected) must fit in it
     * @param sweepInterval how often unfinished writes and orphan objects are looked for (also once at start)
     */
    public record Storage(String type, String root, Duration orphanGrace,
                          Duration sweepInterval) {
    }

    /**
     * @param maxUploadBytes   largest model or dataset upload accepted (413 above it)
     * @param maxTrainingSteps largest fine-tuning step budget a job may ask for
     * @param jobTimeout       wall-clock time a job may run on a worker before it is stopped and failed
     * @param maxActiveJobsPerTenant queued plus running jobs a tenant may have at once (429 above)
     * @param requestsPerMinute      sustained API requests per key and API node (429 with Retry-After above)
     * @param requestBurst           requests a key may make at once before the per-minute rate applies
     * @param maxJsonBytes           largest JSON request body (413 above), counted as it is read
     * @param maxUploadsPerKey       model and dataset uploads one API key may have in progress at once (429 above)
     * @param maxUploads             uploads in progress on this node at once, all keys together (429 above); kept
     *                               below the request thread pool so uploads can never take all of it
     * @param maxEventStreamsPerKey  live event streams one API key may hold open (429 above)
     * @param maxEventStreams        live event streams on this node, all keys together (429 above)
     * @param authFailuresPerMinute  rate at which one client address may keep presenting invalid tokens
     * @param authFailureBurst       invalid tokens one client address may present at once before it is refused
     *                               429 without the key being looked up
     * @param minRequestBytesPerSecond pace below which a request body is cut off (408) once a window of waiting
     *                               for it has passed; 0 turns the check off
     * @param requestRateWindow      waiting time over which a request body's pace is judged
     */
    public record Limits(long maxUploadBytes, long maxTrainingSteps, Duration jobTimeout,
                         int maxActiveJobsPerTenant, int requestsPerMinute, int requestBurst,
                         long maxJsonBytes, int maxUploadsPerKey, int maxUploads,
                         int maxEventStreamsPerKey, int maxEventStreams,
                         int authFailuresPerMinute, int authFailureBurst,
                         long minRequestBytesPerSecond, Duration requestRateWindow) {
    }

    /**
     * @param adminToken   bearer token of the admin API (tenants, keys) and every actuator endpoint; generated into
     *                     the data folder when empty
     * @param metricsToken bearer token that may scrape /actuator/prometheus and nothing else; generated likewise
     */
    public record Security(String adminToken, String metricsToken) {
    }

    /**
     * @param workerThreads        concurrent jobs per worker node
     * @param staleAfter           a running job without a worker heartbeat this long, which JobRunr will not retry,
     *                             is ended
     * @param eventStreamThreads   threads that poll every event stream of the node
     * @param eventStreamHeartbeat how long an idle stream waits before a comment line
     * @param eventStreamMax       longest life of a stream
     * @param trainingDevice       where a worker fine-tunes: auto (a GPU where libtorch sees one), cpu, or gpu
     *                             (a worker that sees none does not start)
     * @param evaluation           how a job's report measures latency and accuracy
     * @param faultInjection       for tests only
     */
    public record Jobs(@PositiveOrZero int workerThreads, @NotNull Duration staleAfter,
                       @Positive int eventStreamThreads, @NotNull Duration eventStreamHeartbeat,
                       @NotNull Duration eventStreamMax, @NotNull DeviceChoice trainingDevice,
                       @Valid @NotNull Evaluation evaluation,
                       @Valid @NotNull FaultInjection faultInjection) {
    }

    /**
     * @param warmupRuns runs of each model before timing
     * @param timedRuns  timed runs of each model, split into paired rounds
     * @param batchSize  the batch size latency is measured at besides 1 (a job's speed target refers to it)
     * @param maxSamples evaluation samples accuracy and agreement are measured on, at most
     */
    public record Evaluation(@PositiveOrZero int warmupRuns, @Positive int timedRuns, @Positive int batchSize,
                             @Positive int maxSamples) {
    }

    /** @param pauseAfterStart hold a job after a worker takes it, to kill or cancel it mid-run */
    public record FaultInjection(@NotNull Duration pauseAfterStart) {
    }

    /**
     * @param port    the health port (liveness and readiness only); 0 picks a free one, -1 turns it off
     * @param address where it listens: loopback by default, so it opens nothing to the network
     */
    public record Health(@Min(-1) @Max(65535) int port, @NotBlank String address) {
    }

    public boolean isWorker() {
        return roles.contains("worker");
    }

    public boolean isApi() {
        return roles.contains("api");
    }
}
