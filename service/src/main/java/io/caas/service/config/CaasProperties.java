package io.caas.service.config;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The service's own settings ({@code caas.*} in application.yml).
 *
 * @param roles "api" serves the REST API, "worker" runs compression jobs; a node may have both
 */
@ConfigurationProperties(prefix = "caas")
public record CaasProperties(String dataDir, List<String> roles, Storage storage, Limits limits, Jobs jobs) {

    public record Storage(String type, String root) {
    }

    /**
     * @param maxUploadBytes   largest model or dataset upload accepted (413 above it)
     * @param maxTrainingSteps largest fine-tuning step budget a job may ask for
     * @param jobTimeout       wall-clock time a job may run on a worker before it is stopped and failed
     */
    public record Limits(long maxUploadBytes, long maxTrainingSteps, java.time.Duration jobTimeout) {
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
