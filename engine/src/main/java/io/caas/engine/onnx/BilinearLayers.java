package io.caas.engine.onnx;

import io.caas.engine.onnx.proto.Onnx.GraphProto;
import java.util.LinkedHashMap;
import java.util.Map;

/** Finds the bilinear layers of a graph in every form the engine recognises. */
public final class BilinearLayers {

    private BilinearLayers() {
    }

    /**
     * Each bilinear layer by the index of the node that names it in reports: the Einsum, or the MatMul (or Gemm)
     * that projects the first activation.
     */
    public static Map<Integer, BilinearForm> byNode(GraphProto graph) {
        Map<Integer, BilinearForm> found = new LinkedHashMap<>();
        GraphIndex index = null;
        Weights weights = null;
        for (int i = 0; i < graph.getNodeCount(); i++) {
            String op = graph.getNode(i).getOpType();
            if (op.equals("Einsum")) {
                weights = weights == null ? Weights.of(graph) : weights;
                BilinearEinsum.of(graph.getNode(i), i, weights).ifPresent(f -> found.put(f.nodes().get(0), f));
            } else if (op.equals("MatMul") || op.equals("Gemm")) {
                index = index == null ? GraphIndex.of(graph) : index;
                GraphIndex g = index;
                int at = i;
                BilinearMatMul.at(g, i).map(BilinearForm.class::cast)
                        .or(() -> BilinearBroadcastMatMul.at(g, at))
                        .ifPresent(f -> found.put(at, f));
            }
        }
        return found;
    }
}
