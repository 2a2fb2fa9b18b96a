package io.caas.engine.compress.tied;

import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the layer pairs d→h→d that tying applies to. A pair is a weighted layer L1 (MatMul with a 2-D weight,
 * Gemm with alpha 1, or a 1×1 Conv) whose output reaches, through elementwise operations only, exactly one layer
 * L2 of the same operator type whose input is on that path and whose matrix is h × d. Elementwise means an
 * activation (Relu, Gelu, Sigmoid, Tanh, Erf, ..., Dropout, Identity) or Add/Sub/Mul/Div/Pow whose other operand
 * is a constant (a bias, GELU's √2 and ½) or itself on the path (GELU's x·Φ(x)). A residual Add, whose other
 * operand comes from elsewhere, ends the path. This covers Transformer feed-forward blocks (MatMul, bias Add,
 * GELU written out in Erf form or as one Gelu node, MatMul), MLP bottlenecks (Gemm, Relu, Gemm) and 1×1
 * reduce/expand convolutions joined by an activation (squeeze-and-excitation style). A ResNet bottleneck, with a
 * 3×3 conv between its 1×1 convs, is not a pair.
 */
final class PairFinder {

    private static final Set<String> UNARY = Set.of("Relu", "LeakyRelu", "Gelu", "Sigmoid", "HardSigmoid",
            "HardSwish", "Tanh", "Erf", "Elu", "Selu", "Softplus", "Clip", "Dropout", "Identity", "Neg");
    private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div", "Pow", "PRelu");

    private PairFinder() {
    }

    /** Pairs in node order; a layer belongs to at most one pair. */
    static List<TiedPair> find(ModelProto model) {
        return find(model, ModelInspector.inspect(model));
    }

    static List<TiedPair> find(ModelProto model, ModelSummary summary) {
        GraphProto g = model.getGraph();
        Weights weights = Weights.of(g);
        List<WeightedLayer> layers = summary.layers().stream().filter(LowRankLayers::factorizable).toList();
        Map<WeightedLayer, Integer> indices = LowRankLayers.nodeIndices(model, layers);
        Map<Integer, WeightedLayer> byNode = new HashMap<>();
        indices.forEach((layer, index) -> byNode.put(index, layer));
        Map<String, List<Integer>> consumers = new HashMap<>();
        Map<String, Integer> weightUses = new HashMap<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            for (String in : g.getNode(i).getInputList()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
                weightUses.merge(in, 1, Integer::sum);
            }
        }

        List<TiedPair> pairs = new ArrayList<>();
        Set<Integer> taken = new HashSet<>();
        for (WeightedLayer first : layers) {
            int fi = indices.get(first);
            if (taken.contains(fi) || !tieable(first, g.getNode(fi), weights, weightUses)) {
                continue;
            }
            NodeProto firstNode = g.getNode(fi);
            LayerLayout l1 = LayerLayout.of(first, firstNode);
            Path path = walk(g, fi, consumers, weights);
            List<Integer> seconds = new ArrayList<>();
            for (int si : path.reachedLayers()) {
                WeightedLayer second = byNode.get(si);
                if (second == null || taken.contains(si) || !second.opType().equals(first.opType())
                        || !tieable(second, g.getNode(si), weights, weightUses)) {
                    continue;
                }
                LayerLayout l2 = LayerLayout.of(second, g.getNode(si));
                if (l2.in() == l1.out() && l2.out() == l1.in()) {
                    seconds.add(si);
                }
            }
            if (seconds.size() == 1) {
                int si = seconds.get(0);
                List<String> ops = new ArrayList<>(path.ops());
                ops.add(g.getNode(si).getOpType());
                pairs.add(new TiedPair(first, fi, byNode.get(si), si, l1.in(), l1.out(), List.copyOf(ops)));
                taken.add(fi);
                taken.add(si);
            }
        }
        return pairs;
    }

    /** A layer whose shape can be tied: a dense layer, or a 1×1 conv (a dense layer over channels). */
    static boolean shapeTies(WeightedLayer layer) {
        return layer.kind() == LayerKind.DENSE
                || layer.kind() == LayerKind.CONV && layer.weightShape().stream().skip(2).allMatch(k -> k == 1);
    }

    /** A layer whose weight can become (or be replaced by) the shared matrix. */
    private static boolean tieable(WeightedLayer layer, NodeProto node, Weights weights,
                                   Map<String, Integer> weightUses) {
        TensorProto w = weights.get(layer.weight()).orElse(null);
        if (w == null || w.getDataType() != TensorProto.DataType.FLOAT_VALUE
                || weightUses.getOrDefault(layer.weight(), 0) != 1) {
            return false; // a weight shared with another node would change that node too
        }
        if (!shapeTies(layer)) {
            return false;
        }
        if (node.getOpType().equals("Gemm")) {
            return node.getAttributeList().stream().noneMatch(a -> a.getName().equals("alpha") && a.getF() != 1f);
        }
        return true;
    }

    /** Values reached from a layer's output through elementwise operations, and the nodes consuming them. */
    private record Path(List<String> ops, Set<Integer> reachedLayers) {
    }

    private static Path walk(GraphProto g, int from, Map<String, List<Integer>> consumers, Weights weights) {
        Set<String> onPath = new HashSet<>();
        Deque<String> queue = new ArrayDeque<>();
        onPath.add(g.getNode(from).getOutput(0));
        queue.add(g.getNode(from).getOutput(0));
        List<String> ops = new ArrayList<>(List.of(g.getNode(from).getOpType()));
        Set<Integer> visited = new HashSet<>();
        Set<Integer> reached = new LinkedHashSet<>();
        while (!queue.isEmpty()) {
            String value = queue.poll();
            for (int c : consumers.getOrDefault(value, List.of())) {
                NodeProto node = g.getNode(c);
                if (node.getInputCount() > 0 && node.getInput(0).equals(value) && node.getInputCount() > 1
                        && weights.get(node.getInput(1)).isPresent() && node.getDomain().isEmpty()
                        && Set.of("MatMul", "Gemm", "Conv").contains(node.getOpType())) {
                    reached.add(c);
                    continue;
                }
                if (visited.contains(c) || !elementwise(node)) {
                    continue;
                }
                // a binary op whose second operand is on the path too runs once, when both are known
                if (!node.getInputList().stream().filter(i -> !i.isEmpty())
                        .allMatch(i -> onPath.contains(i) || weights.get(i).isPresent())) {
                    continue;
                }
                visited.add(c);
                ops.add(node.getOpType());
                String out = node.getOutput(0);
                if (onPath.add(out)) {
                    queue.add(out);
                }
            }
        }
        return new Path(ops, reached);
    }

    private static boolean elementwise(NodeProto node) {
        if (!node.getDomain().isEmpty()) {
            return false;
        }
        return UNARY.contains(node.getOpType())
                || BINARY.contains(node.getOpType()) && node.getInputCount() == 2;
    }
}
