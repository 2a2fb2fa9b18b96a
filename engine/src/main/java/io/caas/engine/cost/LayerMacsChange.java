package io.caas.engine.cost;

import java.util.List;

/**
 * A weighted layer's multiply-accumulates for one sample, in the original and in the compressed model.
 *
 * @param macsBefore the layer's node(s) in the original
 * @param macsAfter  the counted nodes that compute the layer in the compressed model (for a factorized layer, its
 *                   factors), found by dataflow between the layer's input and output; null where they could not
 *                   be found or sized
 * @param nodesAfter names of those counted nodes in the compressed model
 */
public record LayerMacsChange(String node, String opType, Long macsBefore, Long macsAfter, List<String> nodesAfter) {
}
