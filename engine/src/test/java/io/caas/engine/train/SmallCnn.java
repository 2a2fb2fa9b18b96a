package io.caas.engine.train;

import static io.caas.engine.runtime.TinyModels.floatTensor;
import static io.caas.engine.runtime.TinyModels.intAttr;
import static io.caas.engine.runtime.TinyModels.intsAttr;
import static io.caas.engine.runtime.TinyModels.model;
import static io.caas.engine.runtime.TinyModels.node;

import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.Random;

/**
 * A LeNet-like classifier for 28x28 images written as ONNX: Conv(8)-Relu-MaxPool-Conv(16)-Relu-MaxPool-Flatten-Gemm(10),
 * He-initialised with a fixed seed. The second conv's weights are a Constant node, the way PaddlePaddle exports.
 */
final class SmallCnn {

    private SmallCnn() {
    }

    static ModelProto build(long seed) {
        Random rnd = new Random(seed);
        String[] none = {};
        GraphProto g = GraphProto.newBuilder().setName("small-cnn")
                .addNode(node("Conv", new String[] {"x", "c1.w", "c1.b"}, new String[] {"c1"},
                        intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1)))
                .addNode(node("Relu", new String[] {"c1"}, new String[] {"r1"}))
                .addNode(node("MaxPool", new String[] {"r1"}, new String[] {"p1"},
                        intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2)))
                .addNode(node("Constant", none, new String[] {"c2.w"}, tensorAttr(he("c2.w", rnd, 16, 8, 3, 3))))
                .addNode(node("Conv", new String[] {"p1", "c2.w", "c2.b"}, new String[] {"c2"},
                        intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1)))
                .addNode(node("Relu", new String[] {"c2"}, new String[] {"r2"}))
                .addNode(node("MaxPool", new String[] {"r2"}, new String[] {"p2"},
                        intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2)))
                .addNode(node("Flatten", new String[] {"p2"}, new String[] {"f"}, intAttr("axis", 1)))
                .addNode(node("Gemm", new String[] {"f", "fc.w", "fc.b"}, new String[] {"logits"}, intAttr("transB", 1)))
                .addInitializer(he("c1.w", rnd, 8, 1, 3, 3))
                .addInitializer(Tensors.floatTensor("c1.b", new float[8], 8))
                .addInitializer(Tensors.floatTensor("c2.b", new float[16], 16))
                .addInitializer(he("fc.w", rnd, 10, 16 * 7 * 7))
                .addInitializer(Tensors.floatTensor("fc.b", new float[10], 10))
                .addInput(floatTensor("x", -1, 1, 28, 28))
                .addOutput(floatTensor("logits", -1, 10))
                .build();
        return model(g, 13);
    }

    private static io.caas.engine.onnx.proto.Onnx.AttributeProto tensorAttr(TensorProto t) {
        return io.caas.engine.onnx.proto.Onnx.AttributeProto.newBuilder().setName("value")
                .setType(io.caas.engine.onnx.proto.Onnx.AttributeProto.AttributeType.TENSOR).setT(t).build();
    }

    private static TensorProto he(String name, Random rnd, long... dims) {
        long fanIn = 1;
        for (int i = 1; i < dims.length; i++) {
            fanIn *= dims[i];
        }
        int n = (int) (dims[0] * fanIn);
        float[] v = new float[n];
        double std = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return Tensors.floatTensor(name, v, dims);
    }
}
