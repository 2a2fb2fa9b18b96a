package io.caas.engine.runtime;

import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * One graph level indexed for matching operator chains backwards from their last node ({@link LayerNormPattern},
 * {@link GeluPattern}): who produces each value, how many nodes read it (subgraphs included, which only count as
 * readers), its constant value where it is a weight, and whether the graph outputs it.
 */
final class NodeChains {

    private final Map<String, OnnxNode> producers = new HashMap<>();
    private final Map<String, Integer> readers = new HashMap<>();
    private final Map<String, TensorProto> weights;
    private final Set<String> graphOutputs;

    NodeChains(List<OnnxNode> nodes, Map<String, TensorProto> weights, Set<String> graphOutputs) {
        this.weights = weights;
        this.graphOutputs = graphOutputs;
        for (OnnxNode n : nodes) {
            n.outputs().forEach(o -> producers.put(o, n));
        }
        nodes.stream().flatMap(OnnxNode::withNested).forEach(n ->
                n.inputs().forEach(i -> readers.merge(i, 1, Integer::sum)));
    }

    OnnxNode producer(String value) {
        return producers.get(value);
    }

    int readers(String value) {
        return readers.getOrDefault(value, 0);
    }

    boolean isGraphOutput(String value) {
        return graphOutputs.contains(value);
    }

    /** The weight named {@code value}, or null where it is computed. */
    TensorProto weight(String value) {
        return weights.get(value);
    }

    /**
     * The node producing {@code value} when it is {@code op} with one output and {@code value} is read once (by the
     * chain) and is no graph output: a value the chain may compute out of sight. Else null.
     */
    OnnxNode internal(String value, String op) {
        OnnxNode n = producers.get(value);
        if (n == null || !isOp(n, op) || n.outputs().size() != 1 || readers(value) != 1 || isGraphOutput(value)) {
            return null;
        }
        return n;
    }

    /** The single float a weight holds, or null where {@code value} is not a one-element float weight. */
    Float scalar(String value) {
        TensorProto t = weights.get(value);
        if (t == null || !Tensors.isFloating(t) || Tensors.elementCount(t) != 1) {
            return null;
        }
        return Tensors.toFloats(t)[0];
    }

    /** Every chain a pattern finds ending at a node of {@code lastOp}, in graph order. */
    static <M> List<M> matches(List<OnnxNode> nodes, String lastOp, Function<OnnxNode, Optional<M>> matchAt) {
        List<M> out = new ArrayList<>();
        for (OnnxNode n : nodes) {
            if (isOp(n, lastOp)) {
                matchAt.apply(n).ifPresent(out::add);
            }
        }
        return out;
    }

    static boolean isOp(OnnxNode n, String op) {
        return n.opType().equals(op) && (n.domain().isEmpty() || n.domain().equals("ai.onnx"));
    }
}
