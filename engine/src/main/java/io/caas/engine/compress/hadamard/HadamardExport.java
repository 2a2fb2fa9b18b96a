package io.caas.engine.compress.hadamard;

import io.caas.engine.compress.GraphEdits;
import io.caas.engine.onnx.BilinearForm;
import io.caas.engine.onnx.BilinearLayers;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes bilinear layers in their low-rank Hadamard form: the layer's nodes (one Einsum, or a MatMul pattern with
 * its reshapes and contraction) become MatMul(x, U) (Gemm(x, U, u₀) where the projection had a bias), MatMul(y, V),
 * Mul, MatMul(·, P), writing the layer's own
 * output, so the bias Add and everything after it stay as they were. What only the replaced nodes read (the dense
 * weight, its Transpose/Reshape steps, the run-time reshape target's Shape/Gather/Concat, their constants) leaves
 * the graph with them; anything another node still reads stays. The same graph is trained and exported.
 */
public final class HadamardExport {

    private HadamardExport() {
    }

    /**
     * One layer to rewrite, with U (in1 × d), V (in2 × d) and P (d × out) row-major; where the layer's projection
     * has a bias, U has one more row, u₀, the bias of x·U ({@link FittedTensor}).
     */
    public record Replacement(String node, BilinearForm form, int rank, float[] u, float[] v, float[] p) {

        /** The layer at a CP fit's rank, its factors as float32. */
        public static Replacement fitted(String node, BilinearForm form, CpDecomposition.Factors f) {
            return new Replacement(node, form, f.rank(), floats(f.u()), floats(f.v()), floats(f.p()));
        }

        /** Where the new nodes go: the place of the layer's last node, by which both activations exist. */
        int lastNode() {
            return form.nodes().stream().mapToInt(Integer::intValue).max().orElseThrow();
        }
    }

    /** The initializer names of a layer's factors, derived from its node name. */
    public static List<String> factorNames(String node) {
        return List.of(node + ".U", node + ".V", node + ".P");
    }

    /** The initializer name of u₀, the bias of x·U, for a layer whose projection had a bias. */
    public static String firstBiasName(String node) {
        return node + ".Ubias";
    }

    /**
     * Each replacement's layer is found again in {@code model} by its node name, so that a model whose other layers
     * were rewritten first (node indices moved) takes the same replacements.
     */
    public static ModelProto apply(ModelProto model, List<Replacement> replacements) {
        GraphProto graph = model.getGraph();
        Map<String, BilinearForm> here = new HashMap<>();
        BilinearLayers.byNode(graph).forEach((i, form) -> here.put(ModelInspector.nodeName(graph.getNode(i), i),
                form));
        Map<Integer, Replacement> atLast = new HashMap<>();
        Set<Integer> replaced = new HashSet<>();
        Set<String> readByReplaced = new HashSet<>();
        for (Replacement given : replacements) {
            BilinearForm form = here.get(given.node());
            if (form == null) {
                throw new IllegalArgumentException("no bilinear layer named '" + given.node() + "' in the model");
            }
            Replacement r = new Replacement(given.node(), form, given.rank(), given.u(), given.v(), given.p());
            atLast.put(r.lastNode(), r);
            replaced.addAll(r.form().nodes());
            r.form().nodes().forEach(i -> readByReplaced.addAll(graph.getNode(i).getInputList()));
        }
        List<NodeProto> nodes = new ArrayList<>();
        List<TensorProto> added = new ArrayList<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            Replacement r = atLast.get(i);
            if (r != null) {
                hadamard(r, nodes, added);
            } else if (!replaced.contains(i)) {
                nodes.add(graph.getNode(i));
            }
        }
        Set<String> dropped = withoutDeadUpstream(graph, nodes, readByReplaced);
        GraphProto.Builder out = GraphEdits.withoutDropped(graph, nodes, dropped, added);
        GraphEdits.listAsInputsLikeReplaced(graph, out, dropped, added);
        return model.toBuilder().setGraph(out).build();
    }

    private static void hadamard(Replacement r, List<NodeProto> nodes, List<TensorProto> added) {
        List<String> names = factorNames(r.node());
        BilinearForm f = r.form();
        int uValues = (int) f.inFirst() * r.rank();
        added.add(Tensors.floatTensor(names.get(0), Arrays.copyOf(r.u(), uValues), f.inFirst(), r.rank()));
        added.add(Tensors.floatTensor(names.get(1), r.v(), f.inSecond(), r.rank()));
        added.add(Tensors.floatTensor(names.get(2), r.p(), r.rank(), f.out()));
        String first = r.node() + "/first_projected";
        String second = r.node() + "/second_projected";
        String joint = r.node() + "/hadamard";
        if (f.projectionBias().isPresent()) {
            // the projection bias became u₀, the last row of U: x·U + u₀ is one Gemm, as nn.Linear exports
            String bias = firstBiasName(r.node());
            added.add(Tensors.floatTensor(bias, Arrays.copyOfRange(r.u(), uValues, uValues + r.rank()), r.rank()));
            nodes.add(node(r.node() + "/project_first", "Gemm", List.of(f.first(), names.get(0), bias), first));
        } else {
            nodes.add(node(r.node() + "/project_first", "MatMul", List.of(f.first(), names.get(0)), first));
        }
        nodes.add(node(r.node() + "/project_second", "MatMul", List.of(f.second(), names.get(1)), second));
        nodes.add(node(r.node() + "/hadamard", "Mul", List.of(first, second), joint));
        nodes.add(node(r.node() + "/project_out", "MatMul", List.of(joint, names.get(2)), f.output()));
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private static NodeProto node(String name, String op, List<String> inputs, String output) {
        return NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(inputs).addOutput(output).build();
    }

    /**
     * Removes from {@code nodes} every node that only fed the replaced ones (transitively), and returns the
     * weights (initializers and Constant outputs) that nothing reads any more. Graph inputs and outputs, and
     * anything a remaining node or subgraph reads, stay.
     */
    private static Set<String> withoutDeadUpstream(GraphProto graph, List<NodeProto> nodes, Set<String> seeds) {
        Set<String> initializers = new HashSet<>();
        graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
        Set<String> dropped = new HashSet<>();
        List<String> work = new ArrayList<>(seeds);
        while (!work.isEmpty()) {
            String value = work.remove(work.size() - 1);
            if (value.isEmpty() || !GraphEdits.unreadWeights(graph, nodes, Set.of(value)).contains(value)) {
                continue;
            }
            if (initializers.contains(value)) {
                dropped.add(value);
                continue;
            }
            for (int i = nodes.size() - 1; i >= 0; i--) {
                NodeProto n = nodes.get(i);
                if (n.getOutputList().contains(value) && GraphEdits.unreadWeights(graph, nodes,
                        new HashSet<>(n.getOutputList())).containsAll(n.getOutputList())) {
                    nodes.remove(i);
                    if (n.getOpType().equals("Constant")) {
                        dropped.add(value);
                    }
                    work.addAll(n.getInputList());
                }
            }
        }
        return dropped;
    }
}
