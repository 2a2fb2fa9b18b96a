package io.caas.engine.eval;

import java.util.Arrays;

/**
 * The original and the compressed model timed in one process in alternating rounds (original, compressed,
 * original, ...), each round a fixed number of runs of one model, so that what the machine does meanwhile (another
 * build, a frequency change) falls on both alike. Each round's figure is the median of its runs; the ratio of a pair
 * of rounds is compressed / original.
 *
 * @param original       the original's runs over all rounds (p50, p95)
 * @param compressed     the compressed model's runs over all rounds
 * @param rounds         rounds per model
 * @param runsPerRound   timed runs in each round
 * @param medianRatio    median over the pairs of rounds of compressed / original: above 1 the compressed model is
 *                       slower
 * @param ratioQ1        first quartile of the pairs' ratios (nearest rank)
 * @param ratioQ3        third quartile of the pairs' ratios
 * @param roundsDisagree the rounds disagree by more than {@link #DISAGREEMENT}: the spread between the ratios'
 *                       quartiles, Q3 − Q1, exceeds 10 % of their median, so the median ratio is not to be trusted to
 *                       that precision
 */
public record PairedLatency(int batchSize, LatencyStats original, LatencyStats compressed, int rounds,
                            int runsPerRound, double medianRatio, double ratioQ1, double ratioQ3,
                            boolean roundsDisagree) {

    public static final double DISAGREEMENT = 0.10;

    /**
     * @param originalMs   per round, the original's run times
     * @param compressedMs per round, the compressed model's run times (as many rounds and runs)
     */
    static PairedLatency of(int batchSize, boolean originalLooped, boolean compressedLooped, double[][] originalMs,
                            double[][] compressedMs) {
        int rounds = originalMs.length;
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            ratios[r] = median(compressedMs[r]) / median(originalMs[r]);
        }
        Arrays.sort(ratios);
        double q1 = Evaluator.percentile(ratios, 0.25);
        double median = Evaluator.percentile(ratios, 0.50);
        double q3 = Evaluator.percentile(ratios, 0.75);
        return new PairedLatency(batchSize, LatencyStats.of(batchSize, originalLooped, flat(originalMs)),
                LatencyStats.of(batchSize, compressedLooped, flat(compressedMs)), rounds, originalMs[0].length,
                median, q1, q3, q3 - q1 > DISAGREEMENT * median);
    }

    private static double median(double[] ms) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return Evaluator.percentile(sorted, 0.50);
    }

    private static double[] flat(double[][] rounds) {
        return Arrays.stream(rounds).flatMapToDouble(Arrays::stream).toArray();
    }
}
