package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.caas.engine.onnx.Subgraphs;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.Map;

/**
 * Writes trained parameter values back into a copy of the model they came from, where they were found:
 * initializers stay initializers and Constant-node weights stay Constant nodes, in the main graph or the subgraph
 * that holds them, so the graph is unchanged.
 */
public final class WeightExport {

    private WeightExport() {
    }

    public static ModelProto withTrainedWeights(ModelProto original, OnnxBlock block) {
        Map<String, Parameter> params = block.weightParameters();
        // a weight held inside an If branch or a Loop/Scan body is a parameter like any other (ONNX names are
        // unique across scopes), so it is written back where it was found too
        GraphProto main = withTrainedWeights(original.getGraph(), params);
        return original.toBuilder().setGraph(Subgraphs.rewrite(main, (path, g) -> withTrainedWeights(g, params)))
                .build();
    }

    private static GraphProto withTrainedWeights(GraphProto graph, Map<String, Parameter> params) {
        GraphProto.Builder g = graph.toBuilder();
        boolean changed = false;
        for (int i = 0; i < g.getInitializerCount(); i++) {
            Parameter p = params.get(g.getInitializer(i).getName());
            if (p != null) {
                g.setInitializer(i, encode(g.getInitializer(i), p.getArray()));
                changed = true;
            }
        }
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto node = g.getNode(i);
            if (!node.getOpType().equals("Constant") || node.getOutputCount() != 1) {
                continue;
            }
            Parameter p = params.get(node.getOutput(0));
            if (p == null) {
                continue;
            }
            NodeProto.Builder nb = node.toBuilder();
            for (int a = 0; a < nb.getAttributeCount(); a++) {
                AttributeProto attr = nb.getAttribute(a);
                if (attr.getName().equals("value") && attr.hasT()) {
                    nb.setAttribute(a, attr.toBuilder().setT(encode(attr.getT(), p.getArray())));
                }
            }
            g.setNode(i, nb);
            changed = true;
        }
        return changed ? g.build() : graph;
    }

    /** Keeps the name, dims and element type; the data is written as raw_data. */
    private static TensorProto encode(TensorProto old, NDArray value) {
        long[] dims = old.getDimsList().stream().mapToLong(Long::longValue).toArray();
        if (old.getDataType() == TensorProto.DataType.DOUBLE_VALUE) {
            double[] d = value.toType(DataType.FLOAT64, false).toDoubleArray();
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(d.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            buf.asDoubleBuffer().put(d);
            TensorProto.Builder b = TensorProto.newBuilder().setName(old.getName())
                    .setDataType(TensorProto.DataType.DOUBLE_VALUE)
                    .setRawData(com.google.protobuf.ByteString.copyFrom(buf.array()));
            for (long x : dims) {
                b.addDims(x);
            }
            return b.build();
        }
        float[] f = value.toType(DataType.FLOAT32, false).toFloatArray();
        TensorProto t = Tensors.floatTensor(old.getName(), f, dims);
        if (old.getDataType() == TensorProto.DataType.FLOAT16_VALUE) {
            // Back to half precision, so the graph's types stay as they were (x86 native order is little-endian).
            byte[] half = value.toType(DataType.FLOAT16, false).toByteArray();
            return t.toBuilder().setDataType(TensorProto.DataType.FLOAT16_VALUE)
                    .setRawData(com.google.protobuf.ByteString.copyFrom(half)).build();
        }
        return t;
    }
}
