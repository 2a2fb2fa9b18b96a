package io.caas.engine.cost;

import java.util.List;

/**
 * A model's multiply-accumulates for one sample (batch 1), per weighted layer and in all.
 *
 * @param sampleShape the sample they were counted for, without the batch dim (a token model's sequence length is
 *                    in it); null when nothing could be counted
 * @param layers      the summary's weighted layers, in its order
 * @param layersTotal the layers' sum; null if any layer is unknown
 * @param total       every counted node of the graph (Conv, ConvTranspose, Gemm, MatMul, Einsum), the layers and
 *                    also products of two activations such as attention scores; null if any is unknown
 * @param nested      the layers inside If branches and Loop/Scan bodies, each per run of the body that holds it
 *                    (a branch runs when taken, a body once per iteration), by path; in neither total
 * @param note        what was not counted, and why; null when everything was
 */
public record MacCount(long[] sampleShape, List<LayerMacs> layers, Long layersTotal, Long total,
                       List<LayerMacs> nested, String note) {

    public MacCount {
        nested = nested == null ? List.of() : List.copyOf(nested);
    }

    public static MacCount notCounted(String why) {
        return new MacCount(null, List.of(), null, null, List.of(), "MACs not counted: " + why);
    }
}
