package io.caas.engine.cost;

import io.caas.engine.onnx.BilinearForm;
import io.caas.engine.onnx.BilinearLayers;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a weighted layer starts and ends in its graph: the activations it reads and the value it writes. Those
 * names survive compression, so they find the layer again in the compressed graph.
 */
record LayerBoundary(String node, String opType, List<String> inputs, String output) {

    /** One per layer of {@link ModelInspector}'s summary, in its order. */
    static List<LayerBoundary> of(ModelProto model) {
        GraphProto graph = model.getGraph();
        Map<String, Integer> byName = new HashMap<>();
        for (int i = graph.getNodeCount() - 1; i >= 0; i--) {
            byName.put(ModelInspector.nodeName(graph.getNode(i), i), i); // the first of a repeated name wins
        }
        Map<Integer, BilinearForm> bilinear = BilinearLayers.byNode(graph);
        List<LayerBoundary> boundaries = new ArrayList<>();
        for (WeightedLayer layer : ModelInspector.inspect(model).layers()) {
            Integer at = byName.get(layer.node());
            if (at == null) {
                continue;
            }
            NodeProto node = graph.getNode(at);
            BilinearForm form = bilinear.get(at);
            boundaries.add(form != null
                    ? new LayerBoundary(layer.node(), layer.opType(), List.of(form.first(), form.second()),
                            form.output())
                    : new LayerBoundary(layer.node(), layer.opType(), List.of(node.getInput(0)), node.getOutput(0)));
        }
        return boundaries;
    }
}
