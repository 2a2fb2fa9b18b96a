package io.caas.engine.compress;

import io.caas.engine.train.EmbeddingUpdates;
import io.caas.engine.train.TrainableGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How much fine-tuning a job may do, as the user set it. Null fields mean "the method's default": each method
 * documents its own, since a sensible learning rate for training Σ alone differs from one for a whole network.
 *
 * @param maxSteps cap on optimizer steps across all epochs
 * @param train    the kinds of weights fine-tuning trains; null for {@link TrainableGroup#DEFAULT}
 * @param embeddingUpdates how Adam updates trained embedding tables; null for {@link EmbeddingUpdates#DENSE}
 */
public record TrainingBudget(Integer epochs, Long maxSteps, Integer batchSize, Double learningRate,
                             Set<TrainableGroup> train, EmbeddingUpdates embeddingUpdates) {

    public static final TrainingBudget DEFAULTS = new TrainingBudget(null, null, null, null);

    public TrainingBudget {
        train = train == null ? null : Set.copyOf(train);
    }

    /** A budget that trains the {@link TrainableGroup#DEFAULT} weights. */
    public TrainingBudget(Integer epochs, Long maxSteps, Integer batchSize, Double learningRate) {
        this(epochs, maxSteps, batchSize, learningRate, null, null);
    }

    /** A budget whose embedding tables, where it trains them, update densely. */
    public TrainingBudget(Integer epochs, Long maxSteps, Integer batchSize, Double learningRate,
                          Set<TrainableGroup> train) {
        this(epochs, maxSteps, batchSize, learningRate, train, null);
    }

    /** The kinds of weights to train: as asked, or {@link TrainableGroup#DEFAULT}. */
    public Set<TrainableGroup> trainOrDefault() {
        return train != null ? train : TrainableGroup.DEFAULT;
    }

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

    /**
     * The budget with the method's defaults filled in and checked; every bad value is listed.
     *
     * @param epochs {@link Integer#MAX_VALUE} when only maxSteps was given: the step cap alone then ends training
     * @param maxSteps 0 for no cap beyond the epochs
     * @param train the kinds of weights to train
     * @param embeddingUpdates how Adam updates the embedding tables it trains
     */
    public record Resolved(int batchSize, int epochs, double learningRate, long maxSteps, Set<TrainableGroup> train,
                           EmbeddingUpdates embeddingUpdates) {
    }

    public Resolved resolve(int defaultBatchSize, double defaultLearningRate, int defaultEpochs) {
        int batch = batchSizeOr(defaultBatchSize);
        double lr = learningRateOr(defaultLearningRate);
        long steps = maxStepsOr(0);
        int ep = epochs != null ? epochs : steps > 0 ? Integer.MAX_VALUE : defaultEpochs;
        List<String> problems = new ArrayList<>();
        if (batch < 1) {
            problems.add("batch size must be at least 1, got " + batch);
        }
        if (ep < 1) {
            problems.add("epochs must be at least 1, got " + ep);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            problems.add("learning rate must be a positive number, got " + lr);
        }
        if (steps < 0) {
            problems.add("max steps must not be negative, got " + steps);
        }
        if (train != null && train.isEmpty()) {
            problems.add("train must name at least one of " + TrainableGroup.wireNames() + ", got none");
        }
        if (embeddingUpdates == EmbeddingUpdates.SPARSE && !trainOrDefault().contains(TrainableGroup.EMBEDDINGS)) {
            problems.add("sparse embedding updates apply to trained embeddings, and train leaves them out: add "
                    + "embeddings to train, or leave embedding updates out");
        }
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new Resolved(batch, ep, lr, steps, trainOrDefault(),
                embeddingUpdates == null ? EmbeddingUpdates.DENSE : embeddingUpdates);
    }
}
