package io.caas.engine.runtime;

import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Layer normalisation over the last axis as exporters write it without ONNX's LayerNormalization (PyTorch before
 * opset 17, as in all-MiniLM-L6-v2): {@code d = x - ReduceMean(x)}, {@code y = d / Sqrt(ReduceMean(Pow(d, 2)) + eps)
 * * gamma + beta}, gamma and beta weights, in either operand order of the Mul and the Adds.
 *
 * <p>A match requires every value between x and the final Add to be read by the pattern alone and to be no graph
 * output, so that running it as one operator computes exactly what the graph's other nodes see. Anything else
 * (epsilon added after the square root, a mean over another axis, an exponent other than 2) is not this pattern.
 */
public final class LayerNormPattern {

    /**
     * @param nodes  the nine nodes it covers, in graph order
     * @param input  x
     * @param gamma  the scale weight
     * @param beta   the shift weight
     * @param output the final Add's output
     */
    public record Match(List<OnnxNode> nodes, String input, String gamma, String beta, float epsilon, String output) {
    }

    private final NodeChains graph;

    private LayerNormPattern(List<OnnxNode> nodes, Map<String, TensorProto> weights, Set<String> graphOutputs) {
        this.graph = new NodeChains(nodes, weights, graphOutputs);
    }

    /** Every match among {@code nodes} (one graph level; subgraphs are read only to count who reads a value). */
    public static List<Match> find(List<OnnxNode> nodes, Map<String, TensorProto> weights, Set<String> graphOutputs) {
        return NodeChains.matches(nodes, "Add", new LayerNormPattern(nodes, weights, graphOutputs)::matchAt);
    }

    public static List<Match> find(OnnxGraph graph) {
        return find(graph.nodes(), graph.weights(),
                Set.copyOf(graph.outputs().stream().map(ValueInfo::name).toList()));
    }

    private Optional<Match> matchAt(OnnxNode shift) {
        String[] mulAndBeta = operandAndWeight(shift);
        if (mulAndBeta == null) {
            return Optional.empty();
        }
        OnnxNode scale = graph.internal(mulAndBeta[0], "Mul");
        String[] divAndGamma = scale == null ? null : operandAndWeight(scale);
        if (divAndGamma == null) {
            return Optional.empty();
        }
        OnnxNode div = graph.internal(divAndGamma[0], "Div");
        if (div == null || div.inputs().size() != 2) {
            return Optional.empty();
        }
        OnnxNode sqrt = graph.internal(div.inputs().get(1), "Sqrt");
        OnnxNode addEps = sqrt == null ? null : graph.internal(sqrt.inputs().get(0), "Add");
        if (addEps == null || addEps.inputs().size() != 2) {
            return Optional.empty();
        }
        int epsAt = graph.scalar(addEps.inputs().get(1)) != null ? 1 : 0;
        Float eps = graph.scalar(addEps.inputs().get(epsAt));
        OnnxNode variance = eps == null ? null : graph.internal(addEps.inputs().get(1 - epsAt), "ReduceMean");
        OnnxNode pow = variance == null || !lastAxisMean(variance) ? null : graph.internal(variance.inputs().get(0), "Pow");
        if (pow == null || pow.inputs().size() != 2 || !Float.valueOf(2f).equals(graph.scalar(pow.inputs().get(1)))) {
            return Optional.empty();
        }
        String centered = div.inputs().get(0);
        OnnxNode sub = graph.producer(centered);
        // The centred value is read twice inside the pattern (Pow and Div), by nothing else.
        if (!pow.inputs().get(0).equals(centered) || sub == null || !NodeChains.isOp(sub, "Sub") || sub.inputs().size() != 2
                || graph.readers(centered) != 2 || graph.isGraphOutput(centered)) {
            return Optional.empty();
        }
        String x = sub.inputs().get(0);
        OnnxNode mean = graph.internal(sub.inputs().get(1), "ReduceMean");
        if (mean == null || !lastAxisMean(mean) || !mean.inputs().get(0).equals(x)) {
            return Optional.empty();
        }
        return Optional.of(new Match(List.of(mean, sub, pow, variance, addEps, sqrt, div, scale, shift), x,
                divAndGamma[1], mulAndBeta[1], eps, shift.outputs().get(0)));
    }

    /** For a binary node with one float weight of rank 1: {operand, weight}; else null. */
    private String[] operandAndWeight(OnnxNode n) {
        if (n.inputs().size() != 2 || n.outputs().size() != 1) {
            return null;
        }
        for (int w = 0; w < 2; w++) {
            TensorProto t = graph.weight(n.inputs().get(w));
            if (t != null && Tensors.isFloating(t) && t.getDimsCount() == 1
                    && graph.weight(n.inputs().get(1 - w)) == null) {
                return new String[] {n.inputs().get(1 - w), n.inputs().get(w)};
            }
        }
        return null;
    }

    /** A ReduceMean keeping dims over the last axis alone, axes as attribute (before opset 18) or input. */
    private boolean lastAxisMean(OnnxNode n) {
        if (n.attrInt("keepdims", 1) != 1 || n.inputs().isEmpty()) {
            return false;
        }
        long[] axes = n.attrInts("axes");
        if (axes == null && n.inputs().size() > 1 && graph.weight(n.inputs().get(1)) != null) {
            axes = Tensors.toLongs(graph.weight(n.inputs().get(1)));
        }
        return axes != null && axes.length == 1 && axes[0] == -1;
    }
}
