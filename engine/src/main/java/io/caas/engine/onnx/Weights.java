package io.caas.engine.onnx;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The constant tensors of a graph by value name. Exporters differ: PyTorch writes initializers, PaddlePaddle
 * writes Constant nodes; both are weights to a compression method.
 */
public final class Weights {

    private final Map<String, TensorProto> byName;

    private Weights(Map<String, TensorProto> byName) {
        this.byName = byName;
    }

    public static Weights of(GraphProto graph) {
        Map<String, TensorProto> map = new LinkedHashMap<>();
        for (TensorProto t : graph.getInitializerList()) {
            map.put(t.getName(), t);
        }
        for (NodeProto node : graph.getNodeList()) {
            if (node.getOpType().equals("Constant") && node.getOutputCount() == 1) {
                for (AttributeProto a : node.getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT()) {
                        map.put(node.getOutput(0), a.getT());
                    }
                }
            }
        }
        return new Weights(map);
    }

    /**
     * The graph's weights and those of every subgraph in its nodes' attributes (If branches, Loop and Scan
     * bodies), at any depth: ONNX value names are unique across a model's scopes, so one map holds them all.
     */
    public static Weights inAllScopes(GraphProto graph) {
        Map<String, TensorProto> map = new LinkedHashMap<>(of(graph).all());
        for (NodeProto node : graph.getNodeList()) {
            for (AttributeProto a : node.getAttributeList()) {
                if (a.hasG()) {
                    map.putAll(inAllScopes(a.getG()).all());
                }
            }
        }
        return new Weights(map);
    }

    public Optional<TensorProto> get(String valueName) {
        return Optional.ofNullable(byName.get(valueName));
    }

    public Map<String, TensorProto> all() {
        return byName;
    }
}
