package io.caas.engine.compress.ldr;

import io.caas.engine.compress.GraphEdits;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.List;
import java.util.Set;

/**
 * Appends the nodes and small int64 constants of one replaced layer, each under the layer's name prefix and unique
 * in the graph. Only int64 constants are ever added here: a float constant would count, and train, as a parameter.
 */
final class LayerNodes {

    private final String prefix;
    private final Set<String> names;
    private final List<NodeProto> nodes;
    private final List<TensorProto> added;

    LayerNodes(String prefix, Set<String> names, List<NodeProto> nodes, List<TensorProto> added) {
        this.prefix = prefix;
        this.names = names;
        this.nodes = nodes;
        this.added = added;
    }

    /** A new float initializer named after the layer (the generators). */
    String floats(String what, float[] data, long... dims) {
        String name = unique(what);
        added.add(Tensors.floatTensor(name, data, dims));
        return name;
    }

    String ints(String what, long... values) {
        String name = unique(what);
        added.add(Tensors.int64Tensor(name, values, values.length));
        return name;
    }

    /** A 0-d int64 constant (DFT's axis input from opset 20 on). */
    String scalar(String what, long value) {
        String name = unique(what);
        added.add(Tensors.int64Tensor(name, new long[] {value}));
        return name;
    }

    String op(String type, List<String> inputs, String output, AttributeProto... attrs) {
        return writing(unique(output), type, inputs, attrs);
    }

    /** A node whose output gets exactly this name (the replaced node's output). */
    String writing(String out, String type, List<String> inputs, AttributeProto... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(type).setName(unique(type.toLowerCase()))
                .addAllInput(inputs).addOutput(out);
        for (AttributeProto a : attrs) {
            b.addAttribute(a);
        }
        nodes.add(b.build());
        return out;
    }

    /** The node that ends the layer: it writes the replaced node's own output name. */
    void add(NodeProto node) {
        nodes.add(node);
    }

    String reshape(String x, long... shape) {
        return op("Reshape", List.of(x, ints("shape", shape)), "reshaped");
    }

    String transpose(String x, long... perm) {
        return op("Transpose", List.of(x), "transposed", permutation(perm));
    }

    /** x[start:end] along one axis. */
    String slice(String x, long axis, long start, long end) {
        return op("Slice", List.of(x, ints("start", start), ints("end", end), ints("axis", axis)), "sliced");
    }

    static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static AttributeProto permutation(long... perm) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName("perm")
                .setType(AttributeProto.AttributeType.INTS);
        for (long v : perm) {
            a.addInts(v);
        }
        return a.build();
    }

    private String unique(String what) {
        return GraphEdits.unique(names, prefix + what);
    }
}
