package io.caas.engine.testing;

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
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds real ONNX models with the protobuf builders, for tests that need a model of a known shape: an MLP of Gemm
 * or MatMul layers, a small CNN, or any graph node by node.
 */
public final class OnnxModelBuilder {

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final long opset;
    private int nodes;

    public OnnxModelBuilder(String name, long opset) {
        graph.setName(name);
        this.opset = opset;
    }

    /** A float input; a negative dim becomes the symbolic "N". */
    public OnnxModelBuilder input(String name, long... dims) {
        graph.addInput(valueInfo(name, dims));
        return this;
    }

    /** An input of another element type (TensorProto.DataType value), e.g. int64 token ids. */
    public OnnxModelBuilder typedInput(String name, int elementType, long... dims) {
        ValueInfoProto v = valueInfo(name, dims);
        graph.addInput(v.toBuilder().setType(v.getType().toBuilder().setTensorType(
                v.getType().getTensorType().toBuilder().setElemType(elementType))).build());
        return this;
    }

    public OnnxModelBuilder output(String name, long... dims) {
        graph.addOutput(valueInfo(name, dims));
        return this;
    }

    public OnnxModelBuilder initializer(String name, float[] values, long... dims) {
        graph.addInitializer(Tensors.floatTensor(name, values, dims));
        return this;
    }

    public OnnxModelBuilder int64Initializer(String name, long[] values, long... dims) {
        graph.addInitializer(Tensors.int64Tensor(name, values, dims));
        return this;
    }

    /** A weight stored the PaddlePaddle way: as the output of a Constant node. */
    public OnnxModelBuilder constant(String name, float[] values, long... dims) {
        graph.addNode(NodeProto.newBuilder().setOpType("Constant").setName("const_" + name).addOutput(name)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(Tensors.floatTensor(name, values, dims))));
        return this;
    }

    public OnnxModelBuilder node(String op, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "_" + nodes++)
                .addAllInput(inputs).addAllOutput(outputs).addAllAttribute(List.of(attributes)));
        return this;
    }

    /** A node with a name of the caller's choosing, for tests that refer to it. */
    public OnnxModelBuilder namedNode(String name, String op, List<String> inputs, List<String> outputs,
                                      AttributeProto... attributes) {
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addAllOutput(outputs)
                .addAllAttribute(List.of(attributes)));
        nodes++;
        return this;
    }

    public ModelProto build() {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("caas-tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build();
    }

    public static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    public static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    public static AttributeProto text(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }

    public static AttributeProto real(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    /** Gaussian values scaled like He initialisation, so activations stay in a sane range through layers. */
    public static float[] randomWeights(SplittableRandom random, int n, int fanIn) {
        float[] v = new float[n];
        double scale = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian(random) * scale);
        }
        return v;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /**
     * Gemm layers (weights out×in, transB=1, as PyTorch exports) with Relu between; input "x" [N, sizes[0]],
     * output "y" [N, sizes[last]].
     */
    public static ModelProto gemmMlp(long seed, int... sizes) {
        SplittableRandom r = new SplittableRandom(seed);
        OnnxModelBuilder b = new OnnxModelBuilder("mlp", 13).input("x", -1, sizes[0]);
        String prev = "x";
        for (int l = 0; l + 1 < sizes.length; l++) {
            int in = sizes[l];
            int out = sizes[l + 1];
            b.initializer("w" + l, randomWeights(r, in * out, in), out, in);
            b.initializer("b" + l, randomWeights(r, out, in), out);
            String y = l + 2 == sizes.length ? "y" : "h" + l;
            b.node("Gemm", List.of(prev, "w" + l, "b" + l), List.of(y), integer("transB", 1));
            if (l + 2 < sizes.length) {
                b.node("Relu", List.of(y), List.of("r" + l));
                y = "r" + l;
            }
            prev = y;
        }
        return b.output("y", -1, sizes[sizes.length - 1]).build();
    }

    /**
     * Conv 3×3 (pad 1) + Relu per entry of channels, then GlobalAveragePool, Flatten and a MatMul classifier;
     * input "x" [N, channels[0], size, size], output "y" [N, classes].
     */
    public static ModelProto cnn(long seed, int size, int classes, int... channels) {
        SplittableRandom r = new SplittableRandom(seed);
        OnnxModelBuilder b = new OnnxModelBuilder("cnn", 13).input("x", -1, channels[0], size, size);
        String prev = "x";
        for (int l = 0; l + 1 < channels.length; l++) {
            int in = channels[l];
            int out = channels[l + 1];
            b.initializer("cw" + l, randomWeights(r, out * in * 9, in * 9), out, in, 3, 3);
            b.initializer("cb" + l, randomWeights(r, out, in * 9), out);
            b.node("Conv", List.of(prev, "cw" + l, "cb" + l), List.of("c" + l), ints("kernel_shape", 3, 3),
                    ints("pads", 1, 1, 1, 1));
            b.node("Relu", List.of("c" + l), List.of("a" + l));
            prev = "a" + l;
        }
        int last = channels[channels.length - 1];
        b.node("GlobalAveragePool", List.of(prev), List.of("gap"));
        b.node("Flatten", List.of("gap"), List.of("flat"));
        b.initializer("fc", randomWeights(r, last * classes, last), last, classes);
        b.node("MatMul", List.of("flat", "fc"), List.of("y"));
        return b.output("y", -1, classes).build();
    }

    /**
     * A tiny token model (opset 11): embeddings gathered by int64 ids [N, S], masked by an int64 attention mask,
     * then two MatMul layers over the 3-D activations, like a transformer's projections. Output "y" [N, S, out].
     */
    public static ModelProto tokenModel(long seed, int vocab, int dim, int hidden, int out) {
        SplittableRandom r = new SplittableRandom(seed);
        return new OnnxModelBuilder("tokens", 11)
                .typedInput("ids", TensorProto.DataType.INT64_VALUE, -1, -1)
                .typedInput("mask", TensorProto.DataType.INT64_VALUE, -1, -1)
                .initializer("emb", randomWeights(r, vocab * dim, 1), vocab, dim)
                .initializer("w1", randomWeights(r, dim * hidden, dim), dim, hidden)
                .initializer("w2", randomWeights(r, hidden * out, hidden), hidden, out)
                .node("Gather", List.of("emb", "ids"), List.of("e"))
                .node("Cast", List.of("mask"), List.of("m"), integer("to", TensorProto.DataType.FLOAT_VALUE))
                .node("Unsqueeze", List.of("m"), List.of("m3"), ints("axes", 2))
                .node("Mul", List.of("e", "m3"), List.of("masked"))
                .node("MatMul", List.of("masked", "w1"), List.of("h"))
                .node("MatMul", List.of("h", "w2"), List.of("y"))
                .output("y", -1, -1, out).build();
    }

    private static ValueInfoProto valueInfo(String name, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        TypeProto.Tensor.Builder tensor = TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE);
        if (dims.length > 0) {
            tensor.setShape(shape);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(tensor)).build();
    }
}
