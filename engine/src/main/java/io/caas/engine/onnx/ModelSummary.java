package io.caas.engine.onnx;

import java.util.List;
import java.util.Map;

/**
 * What a user needs to know about an uploaded model before compressing it.
 *
 * @param parameters            elements in all floating-point weights (initializers and Constant nodes, those
 *                              inside subgraphs included)
 * @param operatorCounts        node count per op_type, in first-seen order
 * @param layers                layers of the main graph a compression method could rewrite
 * @param subgraphLayers        layers inside If branches and Loop/Scan bodies (at any depth), by subgraph; empty,
 *                              never null (a summary stored before they were listed reads as having none)
 * @param unsupportedOperators  op_types the engine's interpreter cannot run (fine-tuning needs it)
 */
public record ModelSummary(long irVersion, long opsetVersion, String producer, String graphName,
                           List<TensorSpec> inputs, List<TensorSpec> outputs, long parameters, long weightBytes,
                           int nodeCount, Map<String, Integer> operatorCounts, List<WeightedLayer> layers,
                           List<SubgraphLayer> subgraphLayers, List<String> unsupportedOperators) {

    public ModelSummary {
        subgraphLayers = subgraphLayers == null ? List.of() : List.copyOf(subgraphLayers);
    }
}
