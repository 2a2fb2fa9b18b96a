package io.caas.service.support;

import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx;
import java.util.SplittableRandom;

/** Small ONNX models built in the tests, for shapes no downloadable model has (Fashion-MNIST input). */
public final class SmallModels {

    private SmallModels() {
    }

    /** Flatten, then Gemm 784→hidden, Relu, Gemm hidden→10; seeded random weights (an untrained classifier). */
    public static byte[] fashionMlp(int hidden, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName("fashion_mlp")
                .addInput(valueInfo("image", "batch", 1, 28, 28))
                .addOutput(valueInfo("logits", "batch", 10))
                .addInitializer(Tensors.floatTensor("w1", randoms(random, hidden * 784, 784), hidden, 784))
                .addInitializer(Tensors.floatTensor("b1", new float[hidden], hidden))
                .addInitializer(Tensors.floatTensor("w2", randoms(random, 10 * hidden, hidden), 10, hidden))
                .addInitializer(Tensors.floatTensor("b2", new float[10], 10))
                .addNode(node("Flatten", "flatten", new String[] {"image"}, "flat"))
                .addNode(node("Gemm", "fc1", new String[] {"flat", "w1", "b1"}, "h").toBuilder()
                        .addAttribute(Onnx.AttributeProto.newBuilder().setName("transB").setI(1)
                                .setType(Onnx.AttributeProto.AttributeType.INT)).build())
                .addNode(node("Relu", "relu", new String[] {"h"}, "a"))
                .addNode(node("Gemm", "fc2", new String[] {"a", "w2", "b2"}, "logits").toBuilder()
                        .addAttribute(Onnx.AttributeProto.newBuilder().setName("transB").setI(1)
                                .setType(Onnx.AttributeProto.AttributeType.INT)).build());
        return Onnx.ModelProto.newBuilder().setIrVersion(8).setProducerName("caas-tests")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setVersion(13))
                .setGraph(g).build().toByteArray();
    }

    private static float[] randoms(SplittableRandom random, int n, int fanIn) {
        float[] w = new float[n];
        double scale = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < n; i++) {
            w[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return w;
    }

    private static Onnx.NodeProto node(String op, String name, String[] inputs, String output) {
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
        for (String i : inputs) {
            n.addInput(i);
        }
        return n.build();
    }

    private static Onnx.ValueInfoProto valueInfo(String name, Object... dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (Object d : dims) {
            shape.addDim(d instanceof String s ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(s)
                    : Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                        .setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }
}
