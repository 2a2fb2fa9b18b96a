package io.caas.service.job;

import io.caas.engine.compress.LayerReport;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Everything measured about a finished job, served by GET /v1/jobs/{id}/report.
 *
 * @param curves named series over training steps ("loss", "totalRank"), each a list of [step, value]
 */
public record JobReport(UUID jobId, UUID modelId, String method, Map<String, Object> parameters,
                        ModelFigures original, ModelFigures compressed, double compressionRatio,
                        Double accuracyDelta, List<LayerReport> layers, Map<String, List<double[]>> curves) {

    /**
     * Measurements of one model, taken the same way for the original and the compressed one.
     *
     * @param latency   ONNX Runtime latency, absent when the job measured none
     * @param accuracy  top-1 on the evaluation dataset, absent without one
     */
    public record ModelFigures(long parameters, long bytes, Latency latency, Double accuracy) {
    }

    /** Milliseconds per batch, over warmed runs. */
    public record Latency(String runtime, int threads, Percentiles batch1, Integer batchSize, Percentiles batchN) {
    }

    public record Percentiles(double p50Ms, double p95Ms, int runs) {
    }
}
