package io.caas.engine.compress.bilinear;

import io.caas.engine.onnx.BilinearEinsum;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes bilinear layers in their low-rank Hadamard form: the Einsum node becomes MatMul(x, U), MatMul(y, V), Mul,
 * MatMul(·, P), writing the Einsum's own output, so the bias Add and everything after it stay as they were. The
 * dense 3-D weight leaves the graph where no other node reads it. The same graph is trained and exported.
 */
final class HadamardExport {

    private HadamardExport() {
    }

    /** One layer to rewrite, with U (in1 × d), V (in2 × d) and P (d × out) row-major. */
    record Replacement(int nodeIndex, String node, BilinearEinsum form, int rank, float[] u, float[] v, float[] p) {
    }

    /** The initializer names of a layer's factors, derived from its node name. */
    static List<String> factorNames(String node) {
        return List.of(node + ".U", node + ".V", node + ".P");
    }

    static ModelProto apply(ModelProto model, List<Replacement> replacements) {
        GraphProto graph = model.getGraph();
        Map<Integer, Replacement> byIndex = new HashMap<>();
        replacements.forEach(r -> byIndex.put(r.nodeIndex(), r));
        GraphProto.Builder g = graph.toBuilder().clearNode();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto node = graph.getNode(i);
            Replacement r = byIndex.get(i);
            if (r == null) {
                g.addNode(node);
                continue;
            }
            List<String> names = factorNames(r.node());
            BilinearEinsum f = r.form();
            g.addInitializer(Tensors.floatTensor(names.get(0), r.u(), f.inFirst(), r.rank()));
            g.addInitializer(Tensors.floatTensor(names.get(1), r.v(), f.inSecond(), r.rank()));
            g.addInitializer(Tensors.floatTensor(names.get(2), r.p(), r.rank(), f.out()));
            String first = r.node() + "/first_projected";
            String second = r.node() + "/second_projected";
            String joint = r.node() + "/hadamard";
            g.addNode(node(r.node() + "/project_first", "MatMul", List.of(f.first(), names.get(0)), first));
            g.addNode(node(r.node() + "/project_second", "MatMul", List.of(f.second(), names.get(1)), second));
            g.addNode(node(r.node() + "/hadamard", "Mul", List.of(first, second), joint));
            g.addNode(node(r.node() + "/project_out", "MatMul", List.of(joint, names.get(2)), node.getOutput(0)));
        }
        return model.toBuilder().setGraph(withoutUnusedWeights(g, replacements)).build();
    }

    private static NodeProto node(String name, String op, List<String> inputs, String output) {
        return NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(inputs).addOutput(output).build();
    }

    /** Drops the replaced dense weights (initializer, IR&lt;4 graph input, or Constant node) no node reads any more. */
    private static GraphProto.Builder withoutUnusedWeights(GraphProto.Builder g, List<Replacement> replacements) {
        Set<String> read = new HashSet<>();
        g.getNodeList().forEach(n -> read.addAll(n.getInputList()));
        g.getOutputList().forEach(o -> read.add(o.getName()));
        Set<String> drop = new HashSet<>();
        for (Replacement r : replacements) {
            if (!read.contains(r.form().weight())) {
                drop.add(r.form().weight());
            }
        }
        for (int i = g.getInitializerCount() - 1; i >= 0; i--) {
            if (drop.contains(g.getInitializer(i).getName())) {
                g.removeInitializer(i);
            }
        }
        for (int i = g.getInputCount() - 1; i >= 0; i--) {
            if (drop.contains(g.getInput(i).getName())) {
                g.removeInput(i);
            }
        }
        for (int i = g.getNodeCount() - 1; i >= 0; i--) {
            NodeProto n = g.getNode(i);
            if (n.getOpType().equals("Constant") && n.getOutputCount() == 1 && drop.contains(n.getOutput(0))) {
                g.removeNode(i);
            }
        }
        return g;
    }
}
