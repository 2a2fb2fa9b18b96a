package io.caas.engine.eval;

/**
 * How to measure a model.
 *
 * @param warmupRuns       untimed runs first: ORT allocates and picks kernels on the first calls
 * @param timedRuns        runs the percentiles are taken over
 * @param batchSize        the "batch N" of the second latency figure and the chunk size for accuracy runs
 * @param intraOpThreads   1 by default so that figures taken on a shared worker compare across jobs
 * @param sampleShape      shape of one input sample where the model leaves dims symbolic and no dataset says
 *                         (e.g. [3, 48, 192] for a text-direction classifier); null to use the model's or 1
 * @param maxSamples       cap on dataset samples used for accuracy and agreement; 0 for all
 * @param syntheticSamples random samples used for agreement when no dataset is given
 * @param seed             seed of the random inputs, so that repeated measurements use the same ones
 */
public record EvaluationOptions(int warmupRuns, int timedRuns, int batchSize, int intraOpThreads, long[] sampleShape,
                                int maxSamples, int syntheticSamples, long seed) {

    public EvaluationOptions {
        if (warmupRuns < 0 || timedRuns < 1 || batchSize < 1 || intraOpThreads < 1 || maxSamples < 0
                || syntheticSamples < 1) {
            throw new IllegalArgumentException("evaluation options out of range");
        }
    }

    public static EvaluationOptions defaults() {
        return new EvaluationOptions(5, 50, 32, 1, null, 0, 64, 42);
    }

    public EvaluationOptions withRuns(int warmup, int timed) {
        return new EvaluationOptions(warmup, timed, batchSize, intraOpThreads, sampleShape, maxSamples,
                syntheticSamples, seed);
    }

    public EvaluationOptions withBatchSize(int batch) {
        return new EvaluationOptions(warmupRuns, timedRuns, batch, intraOpThreads, sampleShape, maxSamples,
                syntheticSamples, seed);
    }

    public EvaluationOptions withSampleShape(long... shape) {
        return new EvaluationOptions(warmupRuns, timedRuns, batchSize, intraOpThreads, shape, maxSamples,
                syntheticSamples, seed);
    }

    public EvaluationOptions withMaxSamples(int max) {
        return new EvaluationOptions(warmupRuns, timedRuns, batchSize, intraOpThreads, sampleShape, max,
                syntheticSamples, seed);
    }
}
