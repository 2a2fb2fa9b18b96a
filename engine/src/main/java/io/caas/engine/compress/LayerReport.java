package io.caas.engine.compress;

/**
 * What happened to one layer.
 *
 * @param originalRank full rank of the original weight matrix (min of its two sides)
 * @param finalRank    rank kept, equal to originalRank where the layer was left dense
 * @param factorized   whether the exported model holds this layer in factorized form
 * @param note         why the layer was left as it was, or how its rank was chosen; empty if nothing to say
 */
public record LayerReport(String node, String opType, long[] matrixShape, long originalRank, long finalRank,
                          long parametersBefore, long parametersAfter, boolean factorized, String note) {

    public LayerReport(String node, String opType, long[] matrixShape, long originalRank, long finalRank,
                       long parametersBefore, long parametersAfter, boolean factorized) {
        this(node, opType, matrixShape, originalRank, finalRank, parametersBefore, parametersAfter, factorized, "");
    }
}
