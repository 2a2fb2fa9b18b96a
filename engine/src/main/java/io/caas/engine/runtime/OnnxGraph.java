package io.caas.engine.runtime;

import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.OperatorSetIdProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of a model the interpreter needs, taken out of protobuf once. Constant-node tensors are folded into
 * {@code weights} next to the initializers, because PaddlePaddle exports its trained weights that way.
 *
 * @param inputs  the graph inputs fed at run time: graph inputs that also have an initializer are weights
 *                (ONNX IR < 4 lists every initializer as an input too) and are left out
 * @param opsets  operator-set version per domain, the default domain under ""
 */
public record OnnxGraph(String name, List<ValueInfo> inputs, List<ValueInfo> outputs, List<OnnxNode> nodes,
                        Map<String, TensorProto> weights, Map<String, Long> opsets) {

    public static OnnxGraph of(ModelProto model) {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> weights = new LinkedHashMap<>(Weights.inAllScopes(g).all());
        List<ValueInfo> inputs = new ArrayList<>();
        for (var in : g.getInputList()) {
            if (!weights.containsKey(in.getName())) {
                inputs.add(ValueInfo.of(in));
            }
        }
        List<ValueInfo> outputs = g.getOutputList().stream().map(ValueInfo::of).toList();
        List<OnnxNode> nodes = new ArrayList<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            nodes.add(OnnxNode.of(g.getNode(i), i));
        }
        Map<String, Long> opsets = new HashMap<>();
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            String domain = o.getDomain().equals("ai.onnx") ? "" : o.getDomain();
            opsets.put(domain, o.getVersion());
        }
        return new OnnxGraph(g.getName(), List.copyOf(inputs), outputs, List.copyOf(nodes), weights, Map.copyOf(opsets));
    }

    /** Every node, those inside subgraphs included, at any depth. */
    public java.util.stream.Stream<OnnxNode> allNodes() {
        return nodes.stream().flatMap(OnnxNode::withNested);
    }

    /** Opset of the default ONNX domain; 1 when a model imports none (ONNX's own default). */
    public long opset() {
        return opsets.getOrDefault("", 1L);
    }

    /** Nodes whose outputs are already weights (Constant nodes with a tensor value) need no evaluation. */
    public boolean isFolded(OnnxNode node) {
        return node.opType().equals("Constant") && node.outputs().size() == 1 && weights.containsKey(node.outputs().get(0));
    }

    /**
     * Whether every input declares a batch of exactly 1 (openWakeWord's heads: [1, 16, 96]): such a model is meant to
     * run one sample at a time. ONNX Runtime refuses a larger batch, and a model whose If condition is computed from
     * the sample (hey_jarvis's verifier branch) has one condition per sample, which no If takes.
     */
    public boolean declaresBatchOfOne() {
        return !inputs.isEmpty() && inputs.stream()
                .allMatch(v -> v.dims() != null && !v.dims().isEmpty() && v.dims().get(0) == 1);
    }
}
