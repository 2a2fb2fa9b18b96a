package io.caas.engine.compress.tied;

import io.caas.engine.compress.GraphEdits;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a model so that each pair's two layers read one weight: the first layer's weight, holding W in its own
 * layout and under its own name, and the second layer that weight transposed (Gemm: the opposite transB; MatMul:
 * a Transpose node; 1×1 Conv: a Transpose swapping the channel axes). The second layer's own weight is removed, so
 * the file holds W once. The same graph serves training (one parameter used twice, so its gradient sums both uses)
 * and export. Biases are untouched.
 */
final class TiedExport {

    private TiedExport() {
    }

    /**
     * @param tied W (d × h, row-major) per pair, in the pairs' order
     */
    static ModelProto apply(ModelProto model, List<TiedPair> pairs, List<double[]> tied) {
        GraphProto g = model.getGraph();
        Set<String> names = GraphEdits.takenNames(g);
        Map<Integer, TiedPair> bySecond = new HashMap<>();
        pairs.forEach(p -> bySecond.put(p.secondIndex(), p));
        Map<String, TensorProto> newFirstWeights = new HashMap<>();
        Set<String> dropped = new HashSet<>();
        for (int k = 0; k < pairs.size(); k++) {
            TiedPair p = pairs.get(k);
            LayerLayout layout = LayerLayout.of(p.first(), g.getNode(p.firstIndex()));
            long[] dims = p.first().weightShape().stream().mapToLong(Long::longValue).toArray();
            newFirstWeights.put(p.first().weight(), Tensors.floatTensor(p.first().weight(),
                    layout.stored(tied.get(k)), dims));
            dropped.add(p.second().weight());
        }

        List<NodeProto> nodes = new ArrayList<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto node = g.getNode(i);
            if (GraphEdits.isConstantOf(node, newFirstWeights.keySet())) {
                nodes.add(withValue(node, newFirstWeights.get(node.getOutput(0))));
                continue;
            }
            TiedPair p = bySecond.get(i);
            if (p == null) {
                nodes.add(node);
                continue;
            }
            String w = p.first().weight();
            NodeProto first = g.getNode(p.firstIndex());
            switch (node.getOpType()) {
                case "Gemm" -> nodes.add(withTransB(node.toBuilder().setInput(1, w),
                        1 - ModelInspector.intAttribute(first, "transB", 0)));
                case "MatMul", "Conv" -> {
                    String transposed = GraphEdits.unique(names, w + "/tied_transposed");
                    NodeProto.Builder t = NodeProto.newBuilder().setOpType("Transpose")
                            .setName(GraphEdits.unique(names, ModelInspector.nodeName(node, i) + "/tied_transpose"))
                            .addInput(w).addOutput(transposed);
                    if (node.getOpType().equals("Conv")) {
                        t.addAttribute(AttributeProto.newBuilder().setName("perm")
                                .setType(AttributeProto.AttributeType.INTS).addInts(1).addInts(0).addInts(2).addInts(3));
                    }
                    nodes.add(t.build());
                    nodes.add(node.toBuilder().setInput(1, transposed).build());
                }
                default -> throw new IllegalArgumentException("cannot tie a " + node.getOpType() + " node");
            }
        }
        // IR < 4 lists weights among the graph inputs too: withoutDropped removes them there as well
        GraphProto.Builder out = GraphEdits.withoutDropped(g, nodes, dropped, List.of());
        for (int t = 0; t < out.getInitializerCount(); t++) {
            TensorProto retied = newFirstWeights.get(out.getInitializer(t).getName());
            if (retied != null) {
                out.setInitializer(t, retied);
            }
        }
        return model.toBuilder().setGraph(out).build();
    }

    private static NodeProto withValue(NodeProto constant, TensorProto value) {
        NodeProto.Builder b = constant.toBuilder();
        for (int a = 0; a < b.getAttributeCount(); a++) {
            if (b.getAttribute(a).getName().equals("value")) {
                b.setAttribute(a, b.getAttribute(a).toBuilder().setT(value));
            }
        }
        return b.build();
    }

    private static NodeProto withTransB(NodeProto.Builder node, long transB) {
        AttributeProto attr = AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT)
                .setI(transB).build();
        for (int a = 0; a < node.getAttributeCount(); a++) {
            if (node.getAttribute(a).getName().equals("transB")) {
                return node.setAttribute(a, attr).build();
            }
        }
        return node.addAttribute(attr).build();
    }
}
