package io.caas.engine.train;

/**
 * How to fine-tune.
 *
 * @param maxSteps    stop after this many optimizer steps even mid-epoch; 0 for no limit beyond {@code epochs}
 * @param temperature softening for {@link Objective#KL_DIVERGENCE} distillation
 * @param embeddingUpdates how Adam updates trained embedding tables; {@link EmbeddingUpdates#SPARSE} needs Adam
 */
public record TrainingConfig(OptimizerKind optimizer, float learningRate, int batchSize, int epochs, long maxSteps,
                             Objective objective, float temperature, long seed, EmbeddingUpdates embeddingUpdates) {

    public enum OptimizerKind { ADAM, SGD }

    /** AUTO: cross-entropy when the data has labels, otherwise MSE against the teacher's outputs. */
    public enum Objective { AUTO, CROSS_ENTROPY, MSE, KL_DIVERGENCE }

    public TrainingConfig {
        if (learningRate <= 0 || batchSize <= 0 || epochs <= 0 || maxSteps < 0 || temperature <= 0) {
            throw new IllegalArgumentException("learning rate, batch size, epochs and temperature must be positive, "
                    + "max steps not negative");
        }
        if (embeddingUpdates == null) {
            throw new IllegalArgumentException("embedding updates must be given");
        }
        if (embeddingUpdates == EmbeddingUpdates.SPARSE && optimizer != OptimizerKind.ADAM) {
            throw new IllegalArgumentException("sparse embedding updates are Adam's; the optimizer is " + optimizer);
        }
    }

    /** Dense embedding updates. */
    public TrainingConfig(OptimizerKind optimizer, float learningRate, int batchSize, int epochs, long maxSteps,
                          Objective objective, float temperature, long seed) {
        this(optimizer, learningRate, batchSize, epochs, maxSteps, objective, temperature, seed,
                EmbeddingUpdates.DENSE);
    }

    public static TrainingConfig adam(float learningRate, int batchSize, int epochs) {
        return new TrainingConfig(OptimizerKind.ADAM, learningRate, batchSize, epochs, 0, Objective.AUTO, 1f, 1L,
                EmbeddingUpdates.DENSE);
    }

    public TrainingConfig withMaxSteps(long steps) {
        return new TrainingConfig(optimizer, learningRate, batchSize, epochs, steps, objective, temperature, seed,
                embeddingUpdates);
    }

    public TrainingConfig withObjective(Objective o) {
        return new TrainingConfig(optimizer, learningRate, batchSize, epochs, maxSteps, o, temperature, seed,
                embeddingUpdates);
    }

    public TrainingConfig withOptimizer(OptimizerKind kind) {
        return new TrainingConfig(kind, learningRate, batchSize, epochs, maxSteps, objective, temperature, seed,
                embeddingUpdates);
    }

    public TrainingConfig withEmbeddingUpdates(EmbeddingUpdates updates) {
        return new TrainingConfig(optimizer, learningRate, batchSize, epochs, maxSteps, objective, temperature, seed,
                updates);
    }
}
