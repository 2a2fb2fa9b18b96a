package io.caas.engine.eval;

import java.util.Arrays;

/**
 * Wall-clock time of one inference call over warmed runs.
 *
 * @param batchSize samples per measured call
 * @param looped    true where the model fixes its batch to 1, so a "batch" was measured as batchSize
 *                  consecutive single-sample runs
 */
public record LatencyStats(int batchSize, boolean looped, int runs, double p50Ms, double p95Ms, double meanMs) {

    /** Nearest-rank p50 and p95 and the mean of the timed runs. */
    static LatencyStats of(int batchSize, boolean looped, double[] ms) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return new LatencyStats(batchSize, looped, sorted.length, Evaluator.percentile(sorted, 0.50),
                Evaluator.percentile(sorted, 0.95), Arrays.stream(sorted).average().orElse(0));
    }
}
