package io.caas.engine.eval;

/**
 * Wall-clock time of one inference call over warmed runs.
 *
 * @param batchSize samples per measured call
 * @param looped    true where the model fixes its batch to 1, so a "batch" was measured as batchSize
 *                  consecutive single-sample runs
 */
public record LatencyStats(int batchSize, boolean looped, int runs, double p50Ms, double p95Ms, double meanMs) {
}
