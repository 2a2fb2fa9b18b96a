package io.caas.engine.runtime;

import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A dense layer as exporters write it for inputs of any rank: {@code Add(MatMul(x, W), b)}, W a 2-D float32 weight
 * (in × out) and b a 1-D float32 weight of length out, the Add's operands in either order. PyTorch's
 * {@code nn.Linear} on a 3-D input exports so (Gemm takes 2-D inputs only): all-MiniLM-L6-v2 holds 36.
 *
 * <p>As for {@link LayerNormPattern}, the MatMul's result must be read by the Add alone and be no graph output.
 */
final class LinearPattern {

    /** @param nodes the MatMul and the Add; {@code input} x, {@code output} the Add's result */
    record Match(List<OnnxNode> nodes, String input, String weight, String bias, String output) {
    }

    private final NodeChains graph;

    private LinearPattern(List<OnnxNode> nodes, Map<String, TensorProto> weights, Set<String> graphOutputs) {
        this.graph = new NodeChains(nodes, weights, graphOutputs);
    }

    static List<Match> find(List<OnnxNode> nodes, Map<String, TensorProto> weights, Set<String> graphOutputs) {
        return NodeChains.matches(nodes, "Add", new LinearPattern(nodes, weights, graphOutputs)::matchAt);
    }

    private Optional<Match> matchAt(OnnxNode add) {
        if (add.inputs().size() != 2 || add.outputs().size() != 1) {
            return Optional.empty();
        }
        for (int s = 0; s < 2; s++) {
            OnnxNode matMul = graph.internal(add.inputs().get(s), "MatMul");
            if (matMul == null || matMul.inputs().size() != 2) {
                continue;
            }
            TensorProto w = graph.weight(matMul.inputs().get(1));
            String bias = add.inputs().get(1 - s);
            TensorProto b = graph.weight(bias);
            if (isFloat32(w, 2) && isFloat32(b, 1) && b.getDims(0) == w.getDims(1)) {
                return Optional.of(new Match(List.of(matMul, add), matMul.inputs().get(0), matMul.inputs().get(1),
                        bias, add.outputs().get(0)));
            }
        }
        return Optional.empty();
    }

    private static boolean isFloat32(TensorProto t, int rank) {
        return t != null && t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getDimsCount() == rank;
    }
}
