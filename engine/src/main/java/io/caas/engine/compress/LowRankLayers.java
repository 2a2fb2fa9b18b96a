package io.caas.engine.compress;

import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of a model's layers the low-rank methods can take, and where they sit in the graph: one definition that
 * every method reads, so none looks up layers through another method's class.
 */
public final class LowRankLayers {

    /** The kinds svd and oialr rewrite: Gemm, MatMul and Conv layers and the input weights of recurrent nodes. */
    public static final Set<LayerKind> KINDS = Set.of(LayerKind.DENSE, LayerKind.CONV, LayerKind.RECURRENT);

    private LowRankLayers() {
    }

    /** The inspector's DENSE and CONV layers (2-D or ungrouped conv float weights): Gemm, MatMul and Conv. */
    public static boolean factorizable(WeightedLayer layer) {
        return layer.kind() == LayerKind.DENSE || layer.kind() == LayerKind.CONV;
    }

    /** A layer of one of {@link #KINDS}. */
    public static boolean eligible(WeightedLayer layer) {
        return KINDS.contains(layer.kind());
    }

    /**
     * Node index of each layer of the main graph. Layers come in node order, so one forward walk pairs them even
     * where exporters gave two nodes the same name.
     */
    public static Map<WeightedLayer, Integer> nodeIndices(ModelProto model, List<WeightedLayer> layers) {
        Map<WeightedLayer, Integer> indices = new IdentityHashMap<>();
        int cursor = 0;
        for (WeightedLayer layer : layers) {
            while (true) {
                NodeProto node = model.getGraph().getNode(cursor);
                if (ModelInspector.nodeName(node, cursor).equals(layer.node()) && node.getInputCount() > 1
                        && node.getInput(1).equals(layer.weight())) {
                    indices.put(layer, cursor++);
                    break;
                }
                cursor++;
            }
        }
        return indices;
    }
}
