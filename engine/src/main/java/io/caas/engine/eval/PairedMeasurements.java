package io.caas.engine.eval;

/**
 * An original and its compressed version measured together ({@link Evaluator#measurePair}): each model's size and
 * accuracy, their latency from paired rounds (each {@link ModelMeasurements#batch1()} and
 * {@link ModelMeasurements#batchN()} is its side of the pairs), and how closely their outputs agree.
 */
public record PairedMeasurements(ModelMeasurements original, ModelMeasurements compressed, PairedLatency batch1,
                                 PairedLatency batchN, OutputAgreement agreement) {
}
