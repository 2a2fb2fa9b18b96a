package io.caas.engine.compress.ldr;

import io.caas.engine.compress.TrainingBudget;

/**
 * How a job's step budget is shared between the data fit and fine-tuning. The fit's Adam steps count against
 * {@code maxSteps} (one step over the fit samples of one layer costs about what a fine-tuning step of the whole
 * model costs, measured in BENCHMARKS.md), and the fit may take at most half of them, so fine-tuning always keeps
 * the other half. Without a step cap, the fit takes its steps and fine-tuning its epochs.
 *
 * @param stepsPerLayer the data fit's Adam steps for each structured layer
 * @param fineTuning    what is left for fine-tuning
 */
record FitBudget(int stepsPerLayer, TrainingBudget fineTuning) {

    static FitBudget split(int fitSteps, int layers, TrainingBudget job) {
        TrainingBudget b = job == null ? TrainingBudget.DEFAULTS : job;
        if (b.maxSteps() == null || b.maxSteps() <= 0) {
            return new FitBudget(fitSteps, b);
        }
        int steps = (int) Math.min(fitSteps, b.maxSteps() / (2L * layers));
        return new FitBudget(steps, new TrainingBudget(b.epochs(), b.maxSteps() - (long) steps * layers,
                b.batchSize(), b.learningRate()));
    }
}
