package io.caas.engine.runtime;

import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.OperatorSetIdProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TensorShapeProto;
import io.caas.engine.onnx.proto.Onnx.TypeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;

/** Protobuf builders for small hand-made graphs. */
public final class TinyModels {

    private TinyModels() {
    }

    public static NodeProto node(String op, String[] inputs, String[] outputs, AttributeProto... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(op + "_" + outputs[0]);
        for (String i : inputs) {
            b.addInput(i);
        }
        for (String o : outputs) {
            b.addOutput(o);
        }
        for (AttributeProto a : attrs) {
            b.addAttribute(a);
        }
        return b.build();
    }

    public static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    public static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    public static ValueInfoProto tensor(String name, int elemType, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N").build()
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d).build());
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
    }

    public static ValueInfoProto floatTensor(String name, long... dims) {
        return tensor(name, TensorProto.DataType.FLOAT_VALUE, dims);
    }

    public static ModelProto model(GraphProto graph, long opset) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("caas-test").setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build();
    }

    public static TensorProto floats(String name, java.util.Random rnd, long... dims) {
        int n = (int) Tensors.elementCount(java.util.Arrays.stream(dims).boxed().toList());
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * 0.5f;
        }
        return Tensors.floatTensor(name, v, dims);
    }
}
