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
        return model(mlp("fashion_mlp", hidden, seed, "logits"));
    }

    /**
     * {@link #fashionMlp} with its logits passed through Hardmax, an operator the interpreter does not have: a
     * model svd can compress but not fine-tune.
     */
    public static byte[] fashionMlpEndingInHardmax(long seed) {
        return model(mlp("fashion_mlp_hardmax", 16, seed, "onehot")
                .addNode(node("Hardmax", "hardmax", new String[] {"logits"}, "onehot")));
    }

    /** The MLP computing "logits"; the graph's output is {@code output}, which a caller's last node may compute. */
    private static Onnx.GraphProto.Builder mlp(String name, int hidden, long seed, String output) {
        return mlp(name, hidden, 10, seed, output);
    }

    /** {@link #fashionMlp} scoring {@code classes} classes instead of Fashion-MNIST's 10. */
    public static byte[] fashionMlpOf(int classes, long seed) {
        return model(mlp("fashion_mlp_" + classes, 16, classes, seed, "logits"));
    }

    private static Onnx.GraphProto.Builder mlp(String name, int hidden, int classes, long seed, String output) {
        SplittableRandom random = new SplittableRandom(seed);
        return Onnx.GraphProto.newBuilder().setName(name)
                .addInput(valueInfo("image", "batch", 1, 28, 28))
                .addOutput(valueInfo(output, "batch", classes))
                .addInitializer(Tensors.floatTensor("w1", randoms(random, hidden * 784, 784), hidden, 784))
                .addInitializer(Tensors.floatTensor("b1", new float[hidden], hidden))
                .addInitializer(Tensors.floatTensor("w2", randoms(random, classes * hidden, hidden), classes, hidden))
                .addInitializer(Tensors.floatTensor("b2", new float[classes], classes))
                .addNode(node("Flatten", "flatten", new String[] {"image"}, "flat"))
                .addNode(gemm("fc1", new String[] {"flat", "w1", "b1"}, "h"))
                .addNode(node("Relu", "relu", new String[] {"h"}, "a"))
                .addNode(gemm("fc2", new String[] {"a", "w2", "b2"}, "logits"));
    }

    /**
     * Flatten, then Gemm 784→128, Relu, a bottleneck block Gemm 128→512, Relu, Gemm 512→128, Relu, then Gemm
     * 128→10; seeded random weights. The block is a d→h→d pair for weight tying.
     */
    public static byte[] fashionBottleneckMlp(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] sizes = {784, 128, 512, 128, 10};
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName("fashion_bottleneck_mlp")
                .addInput(valueInfo("image", "batch", 1, 28, 28))
                .addOutput(valueInfo("logits", "batch", 10))
                .addNode(node("Flatten", "flatten", new String[] {"image"}, "a0"));
        for (int l = 1; l < sizes.length; l++) {
            int in = sizes[l - 1];
            int out = sizes[l];
            boolean last = l == sizes.length - 1;
            g.addInitializer(Tensors.floatTensor("w" + l, randoms(random, out * in, in), out, in))
                    .addInitializer(Tensors.floatTensor("b" + l, new float[out], out))
                    .addNode(gemm("fc" + l, new String[] {"a" + (l - 1), "w" + l, "b" + l}, last ? "logits" : "h" + l));
            if (!last) {
                g.addNode(node("Relu", "relu" + l, new String[] {"h" + l}, "a" + l));
            }
        }
        return model(g);
    }

    /**
     * Conv 1→8 (3×3) Relu MaxPool, Conv 8→16 (3×3) Relu MaxPool, Flatten, Gemm 400→10: a small Fashion-MNIST CNN
     * with seeded random weights.
     */
    public static byte[] fashionCnn(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName("fashion_cnn")
                .addInput(valueInfo("image", "batch", 1, 28, 28))
                .addOutput(valueInfo("logits", "batch", 10))
                .addInitializer(Tensors.floatTensor("c1w", randoms(random, 8 * 9, 9), 8, 1, 3, 3))
                .addInitializer(Tensors.floatTensor("c1b", new float[8], 8))
                .addInitializer(Tensors.floatTensor("c2w", randoms(random, 16 * 8 * 9, 72), 16, 8, 3, 3))
                .addInitializer(Tensors.floatTensor("c2b", new float[16], 16))
                .addInitializer(Tensors.floatTensor("fw", randoms(random, 10 * 400, 400), 10, 400))
                .addInitializer(Tensors.floatTensor("fb", new float[10], 10))
                .addNode(node("Conv", "conv1", new String[] {"image", "c1w", "c1b"}, "x1"))
                .addNode(node("Relu", "relu1", new String[] {"x1"}, "a1"))
                .addNode(pool("pool1", "a1", "p1"))
                .addNode(node("Conv", "conv2", new String[] {"p1", "c2w", "c2b"}, "x2"))
                .addNode(node("Relu", "relu2", new String[] {"x2"}, "a2"))
                .addNode(pool("pool2", "a2", "p2"))
                .addNode(node("Flatten", "flatten", new String[] {"p2"}, "flat"))
                .addNode(gemm("fc", new String[] {"flat", "fw", "fb"}, "logits"));
        return model(g);
    }

    /**
     * A two-input fusion classifier: "top" and "bottom" image halves [batch, 392] each through Gemm 392→code and
     * Relu, fused by a bilinear layer (Einsum "bi,kij,bj->bk" with a code×code×code weight, as PyTorch writes
     * nn.Bilinear) plus bias and Relu, then Gemm code→10; seeded random weights.
     */
    public static byte[] fashionFusion(int code, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName("fashion_fusion")
                .addInput(valueInfo("top", "batch", 392))
                .addInput(valueInfo("bottom", "batch", 392))
                .addOutput(valueInfo("logits", "batch", 10));
        for (String half : new String[] {"top", "bottom"}) {
            g.addInitializer(Tensors.floatTensor(half + "_w", randoms(random, code * 392, 392), code, 392))
                    .addInitializer(Tensors.floatTensor(half + "_b", new float[code], code))
                    .addNode(gemm(half + "_fc", new String[] {half, half + "_w", half + "_b"}, half + "_h"))
                    .addNode(node("Relu", half + "_relu", new String[] {half + "_h"}, half + "_a"));
        }
        g.addInitializer(Tensors.floatTensor("bw", randoms(random, code * code * code, code * code), code, code, code))
                .addInitializer(Tensors.floatTensor("bb", new float[code], code))
                .addNode(node("Einsum", "bilinear", new String[] {"top_a", "bw", "bottom_a"}, "z").toBuilder()
                        .addAttribute(Onnx.AttributeProto.newBuilder().setName("equation")
                                .setType(Onnx.AttributeProto.AttributeType.STRING)
                                .setS(com.google.protobuf.ByteString.copyFromUtf8("bi,kij,bj->bk"))).build())
                .addNode(node("Add", "bias", new String[] {"z", "bb"}, "zb"))
                .addNode(node("Relu", "fused_relu", new String[] {"zb"}, "za"))
                .addInitializer(Tensors.floatTensor("fw", randoms(random, 10 * code, code), 10, code))
                .addInitializer(Tensors.floatTensor("fb", new float[10], 10))
                .addNode(gemm("classifier", new String[] {"za", "fw", "fb"}, "logits"));
        return model(g);
    }

    private static byte[] model(Onnx.GraphProto.Builder graph) {
        return Onnx.ModelProto.newBuilder().setIrVersion(8).setProducerName("caas-tests")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setVersion(13))
                .setGraph(graph).build().toByteArray();
    }

    private static Onnx.NodeProto gemm(String name, String[] inputs, String output) {
        return node("Gemm", name, inputs, output).toBuilder().addAttribute(integer("transB", 1)).build();
    }

    private static Onnx.NodeProto pool(String name, String input, String output) {
        return node("MaxPool", name, new String[] {input}, output).toBuilder()
                .addAttribute(ints("kernel_shape", 2, 2)).addAttribute(ints("strides", 2, 2)).build();
    }

    private static Onnx.AttributeProto ints(String name, long... values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    private static Onnx.AttributeProto integer(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setI(value)
                .setType(Onnx.AttributeProto.AttributeType.INT).build();
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
