package io.caas.service.config;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The service's own settings ({@code caas.*} in application.yml).
 *
 * @param roles "api" serves the REST API, "worker" runs compression jobs; a node may have both
 */
@ConfigurationProperties(prefix = "caas")
public record CaasProperties(String dataDir, List<String> roles, Storage storage, Limits limits, Jobs jobs,
                             Security security) {

    /**
     * @param orphanGrace how long a complete object no row names is left before it is removed: the time between a
     *                    write and its row (an upload being inspected) must fit in it
     * @param sweepInterval how often unfinished writes and orphan objects are looked for (also once at start)
     */
    public record Storage(String type, String root, java.time.Duration orphanGrace,
                          java.time.Duration sweepInterval) {
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
    public record Limits(long maxUploadBytes, long maxTrainingSteps, java.time.Duration jobTimeout,
                         int maxActiveJobsPerTenant, int requestsPerMinute, int requestBurst,
                         long maxJsonBytes, int maxUploadsPerKey, int maxUploads,
                         int maxEventStreamsPerKey, int maxEventStreams,
                         int authFailuresPerMinute, int authFailureBurst,
                         long minRequestBytesPerSecond, java.time.Duration requestRateWindow) {
    }

    /**
     * @param adminToken   bearer token of the admin API (tenants, keys) and every actuator endpoint; generated into
     *                     the data folder when empty
     * @param metricsToken bearer token that may scrape /actuator/prometheus and nothing else; generated likewise
     */
    public record Security(String adminToken, String metricsToken) {
    }

    /** @param workerThreads concurrent jobs per worker node */
    public record Jobs(int workerThreads) {
    }

    public boolean isWorker() {
        return roles.contains("worker");
    }

    public boolean isApi() {
        return roles.contains("api");
    }
}
