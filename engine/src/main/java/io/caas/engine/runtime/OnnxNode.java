package io.caas.engine.runtime;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node of the graph. Input names may be empty: ONNX marks an omitted optional input that way.
 *
 * @param subgraphs the graphs in its attributes (an If's branches, a Loop's body), by attribute name
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, AttributeProto> attributes, Map<String, OnnxSubgraph> subgraphs) {

    static OnnxNode of(NodeProto n, int index) {
        Map<String, AttributeProto> attrs = new LinkedHashMap<>();
        Map<String, OnnxSubgraph> subgraphs = new LinkedHashMap<>();
        for (AttributeProto a : n.getAttributeList()) {
            attrs.put(a.getName(), a);
            if (a.hasG()) {
                subgraphs.put(a.getName(), OnnxSubgraph.of(a.getG()));
            }
        }
        String name = n.getName().isEmpty() ? "#" + index + " (" + n.getOpType() + ")" : n.getName();
        return new OnnxNode(name, n.getOpType(), n.getDomain(), List.copyOf(n.getInputList()),
                List.copyOf(n.getOutputList()), attrs, Map.copyOf(subgraphs));
    }

    /** This node and every node of its subgraphs, at any depth. */
    public java.util.stream.Stream<OnnxNode> withNested() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(this), subgraphs.values().stream()
                .flatMap(g -> g.nodes().stream()).flatMap(OnnxNode::withNested));
    }

    public boolean has(String attr) {
        return attributes.containsKey(attr);
    }

    public long attrInt(String attr, long defaultValue) {
        AttributeProto a = attributes.get(attr);
        return a == null ? defaultValue : a.getI();
    }

    public float attrFloat(String attr, float defaultValue) {
        AttributeProto a = attributes.get(attr);
        return a == null ? defaultValue : a.getF();
    }

    public String attrString(String attr, String defaultValue) {
        AttributeProto a = attributes.get(attr);
        return a == null ? defaultValue : a.getS().toStringUtf8();
    }

    /** The ints of an attribute, or null when absent (absent and empty mean different things for some ops). */
    public long[] attrInts(String attr) {
        AttributeProto a = attributes.get(attr);
        if (a == null) {
            return null;
        }
        // A loop, not a stream: convolutions and pools read their window attributes on every forward pass.
        long[] out = new long[a.getIntsCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.getInts(i);
        }
        return out;
    }

    public float[] attrFloats(String attr) {
        AttributeProto a = attributes.get(attr);
        if (a == null) {
            return null;
        }
        float[] out = new float[a.getFloatsCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.getFloats(i);
        }
        return out;
    }

    public TensorProto attrTensor(String attr) {
        AttributeProto a = attributes.get(attr);
        return a == null || !a.hasT() ? null : a.getT();
    }

    public String describe() {
        return "node '" + name + "' (" + opType + ")";
    }
}
