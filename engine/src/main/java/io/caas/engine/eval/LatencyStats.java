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

    /** A model's runs on an idle machine stay within a few percent of their median; half as much again is not. */
    public static final double NOISY_SPREAD = 1.5;

    /** Nearest-rank p50 and p95 and the mean of the timed runs. */
    static LatencyStats of(int batchSize, boolean looped, double[] ms) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return new LatencyStats(batchSize, looped, sorted.length, Evaluator.percentile(sorted, 0.50),
                Evaluator.percentile(sorted, 0.95), Arrays.stream(sorted).average().orElse(0));
    }

    /**
     * Single runs varied: p95 is more than {@link #NOISY_SPREAD} times p50, as on a machine busy with other work (a
     * job's p95 at 10x its p50 was seen), so p50 and p95 tell less than usual. Named as a getter so that the report's
     * JSON carries it as {@code noisy}.
     */
    public boolean isNoisy() {
        return p95Ms > NOISY_SPREAD * p50Ms;
    }

    /** p95 over p50. */
    public double spread() {
        return p50Ms > 0 ? p95Ms / p50Ms : Double.NaN;
    }
}
