package io.caas.engine.runtime;

import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * GELU in its exact (Erf) form as exporters write it from elementary operators: {@code x * (Erf(x / √2) + 1) * 0.5}
 * (PyTorch's {@code nn.GELU} before opset 20, as in all-MiniLM-L6-v2) or {@code x * 0.5 * (Erf(x / √2) + 1)}, the
 * division also written as a product with 1/√2, the Add and the Muls in either operand order.
 *
 * <p>As for {@link LayerNormPattern}, every value between x and the result must be read by the pattern alone and be
 * no graph output. The tanh approximation is not matched: DJL 0.35.1 reaches only libtorch's exact GELU kernel, so
 * that form runs as written.
 */
public final class GeluPattern {

    private static final double TOLERANCE = 1e-6;

    /** @param nodes the nodes it covers, in graph order; {@code input} x, {@code output} the result */
    public record Match(List<OnnxNode> nodes, String input, String output) {
    }

    private final NodeChains graph;

    private GeluPattern(List<OnnxNode> nodes, Map<String, TensorProto> weights, Set<String> graphOutputs) {
        this.graph = new NodeChains(nodes, weights, graphOutputs);
    }

    public static List<Match> find(List<OnnxNode> nodes, Map<String, TensorProto> weights, Set<String> graphOutputs) {
        return NodeChains.matches(nodes, "Mul", new GeluPattern(nodes, weights, graphOutputs)::matchAt);
    }

    private Optional<Match> matchAt(OnnxNode last) {
        if (last.inputs().size() != 2 || last.outputs().size() != 1) {
            return Optional.empty();
        }
        // x * (erf + 1) * 0.5: the last Mul takes a half and the product x * (erf + 1)
        for (int h = 0; h < 2; h++) {
            if (isConstant(last.inputs().get(h), 0.5)) {
                OnnxNode product = graph.internal(last.inputs().get(1 - h), "Mul");
                if (product != null && product.inputs().size() == 2) {
                    for (int s = 0; s < 2; s++) {
                        String x = product.inputs().get(s);
                        Optional<List<OnnxNode>> shift = erfPlusOne(product.inputs().get(1 - s), x);
                        if (shift.isPresent()) {
                            List<OnnxNode> nodes = new ArrayList<>(shift.get());
                            nodes.add(product);
                            nodes.add(last);
                            return Optional.of(new Match(nodes, x, last.outputs().get(0)));
                        }
                    }
                }
            }
        }
        // x * 0.5 * (erf + 1): the last Mul takes the half of x and erf + 1
        for (int s = 0; s < 2; s++) {
            OnnxNode half = graph.internal(last.inputs().get(1 - s), "Mul");
            if (half == null || half.inputs().size() != 2) {
                continue;
            }
            for (int h = 0; h < 2; h++) {
                if (isConstant(half.inputs().get(h), 0.5)) {
                    String x = half.inputs().get(1 - h);
                    Optional<List<OnnxNode>> shift = erfPlusOne(last.inputs().get(s), x);
                    if (shift.isPresent()) {
                        List<OnnxNode> nodes = new ArrayList<>(shift.get());
                        nodes.add(half);
                        nodes.add(last);
                        return Optional.of(new Match(nodes, x, last.outputs().get(0)));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** {@code value} = Erf(x / √2) + 1 (or Erf(x · 1/√2) + 1): its Div or Mul, Erf and Add nodes. */
    private Optional<List<OnnxNode>> erfPlusOne(String value, String x) {
        OnnxNode add = graph.internal(value, "Add");
        if (add == null || add.inputs().size() != 2) {
            return Optional.empty();
        }
        int one = isConstant(add.inputs().get(0), 1.0) ? 0 : isConstant(add.inputs().get(1), 1.0) ? 1 : -1;
        OnnxNode erf = one < 0 ? null : graph.internal(add.inputs().get(1 - one), "Erf");
        if (erf == null || erf.inputs().size() != 1) {
            return Optional.empty();
        }
        OnnxNode scale = graph.producer(erf.inputs().get(0));
        if (graph.internal(erf.inputs().get(0), scale == null ? "" : scale.opType()) == null || scale.inputs().size() != 2) {
            return Optional.empty();
        }
        boolean byRoot = NodeChains.isOp(scale, "Div") && scale.inputs().get(0).equals(x)
                && isConstant(scale.inputs().get(1), Math.sqrt(2));
        boolean byInverse = NodeChains.isOp(scale, "Mul") && (scale.inputs().get(0).equals(x)
                && isConstant(scale.inputs().get(1), Math.sqrt(0.5))
                || scale.inputs().get(1).equals(x) && isConstant(scale.inputs().get(0), Math.sqrt(0.5)));
        return byRoot || byInverse ? Optional.of(List.of(scale, erf, add)) : Optional.empty();
    }

    private boolean isConstant(String value, double expected) {
        Float v = graph.scalar(value);
        return v != null && Math.abs(v - expected) <= TOLERANCE * Math.abs(expected);
    }
}
