package io.caas.engine.compress;

/**
 * How much fine-tuning a job may do, as the user set it. Null fields mean "the method's default": each method
 * documents its own, since a sensible learning rate for training Σ alone differs from one for a whole network.
 *
 * @param maxSteps cap on optimizer steps across all epochs
 */
public record TrainingBudget(Integer epochs, Long maxSteps, Integer batchSize, Double learningRate) {

    public static final TrainingBudget DEFAULTS = new TrainingBudget(null, null, null, null);

    public int epochsOr(int fallback) {
        return epochs != null ? epochs : fallback;
    }

    public long maxStepsOr(long fallback) {
        return maxSteps != null ? maxSteps : fallback;
    }

    public int batchSizeOr(int fallback) {
        return batchSize != null ? batchSize : fallback;
    }

    public double learningRateOr(double fallback) {
        return learningRate != null ? learningRate : fallback;
    }
}
