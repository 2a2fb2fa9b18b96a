package io.caas.engine.train;

/**
 * @param steps        optimizer steps taken
 * @param firstLoss    mean loss of the first epoch's first batch, to compare against
 * @param lastLoss     mean loss over the last epoch (or the steps of it that ran)
 */
public record TrainingResult(long steps, int epochs, double firstLoss, double lastLoss) {
}
