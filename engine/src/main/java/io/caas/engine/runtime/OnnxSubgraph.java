package io.caas.engine.runtime;

import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.List;

/**
 * A graph held in a node's attribute: an {@code If} branch, a {@code Loop} or {@code Scan} body. Its nodes read
 * the values of every scope around it by name (ONNX names are unique across a model's scopes), besides its own
 * formal inputs, which the node that runs it binds.
 */
public record OnnxSubgraph(String name, List<String> inputs, List<String> outputs, List<OnnxNode> nodes) {

    static OnnxSubgraph of(GraphProto g) {
        List<OnnxNode> nodes = new ArrayList<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            nodes.add(OnnxNode.of(g.getNode(i), i));
        }
        return new OnnxSubgraph(g.getName(), g.getInputList().stream().map(ValueInfoProto::getName).toList(),
                g.getOutputList().stream().map(ValueInfoProto::getName).toList(), List.copyOf(nodes));
    }
}
