package io.caas.engine.cost;

import java.util.List;

/**
 * Multiply-accumulates for one sample (batch 1) before and after compression, counted alike on both graphs.
 *
 * @param sampleShape  the sample both were counted for, without the batch dim; null when nothing was counted
 * @param layers       the original's weighted layers, in the model summary's order
 * @param layersBefore sum over the layers in the original; null if any is unknown
 * @param layersAfter  sum over the same layers in the compressed model; null if any is unknown
 * @param totalBefore  every counted node of the original graph (see {@link MacCount#total()})
 * @param totalAfter   every counted node of the compressed graph
 * @param nested       the original's layers inside If branches and Loop/Scan bodies, before and after, each per run
 *                     of its body (see {@link MacCount#nested()}), by path; in no total
 * @param note         what was not counted, and why; null when everything was
 */
public record MacComparison(long[] sampleShape, List<LayerMacsChange> layers, Long layersBefore, Long layersAfter,
                            Long totalBefore, Long totalAfter, List<LayerMacsChange> nested, String note) {

    public MacComparison {
        nested = nested == null ? List.of() : List.copyOf(nested);
    }

    static MacComparison notCounted(String why) {
        return new MacComparison(null, List.of(), null, null, null, null, List.of(), "MACs not counted: " + why);
    }
}
