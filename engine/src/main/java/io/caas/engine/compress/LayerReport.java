package io.caas.engine.compress;

/**
 * What happened to one layer.
 *
 * @param originalRank full rank of the original weight matrix (min of its two sides)
 * @param finalRank    rank kept, equal to originalRank where the layer was left dense
 * @param factorized   whether the exported model holds this layer in factorized form
 */
public record LayerReport(String node, String opType, long[] matrixShape, long originalRank, long finalRank,
                          long parametersBefore, long parametersAfter, boolean factorized) {
}
