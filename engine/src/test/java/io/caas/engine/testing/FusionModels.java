package io.caas.engine.testing;

import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A two-input fusion classifier on real Fashion-MNIST: each image is split into its top and its bottom half (two
 * "modalities" of 14×28 pixels), each half goes through its own dense encoder, a bilinear layer fuses the two codes
 * (an Einsum "bi,kij,bj->bk" plus bias, as PyTorch writes nn.Bilinear), and a dense layer classifies.
 */
public final class FusionModels {

    public static final String TOP = "top";
    public static final String BOTTOM = "bottom";
    public static final int HALF = 14 * 28;
    public static final String BILINEAR_NODE = "bilinear";

    private static ModelProto trained;

    private FusionModels() {
    }

    /**
     * Inputs "top" and "bottom" [N, 392], output logits "y" [N, 10]; encoders 392→{@code code} (Gemm, Relu),
     * bilinear code×code→{@code fused} (Relu), classifier fused→10. He-initialised.
     */
    public static ModelProto model(long seed, int code, int fused) {
        SplittableRandom r = new SplittableRandom(seed);
        OnnxModelBuilder b = new OnnxModelBuilder("fashion-fusion", 13).input(TOP, -1, HALF).input(BOTTOM, -1, HALF);
        for (String half : List.of(TOP, BOTTOM)) {
            b.initializer(half + ".w", OnnxModelBuilder.randomWeights(r, code * HALF, HALF), code, HALF)
                    .initializer(half + ".b", new float[code], code)
                    .node("Gemm", List.of(half, half + ".w", half + ".b"), List.of(half + ".h"),
                            OnnxModelBuilder.integer("transB", 1))
                    .node("Relu", List.of(half + ".h"), List.of(half + ".a"));
        }
        return b.initializer("bilinear.w", OnnxModelBuilder.randomWeights(r, fused * code * code, code * code),
                        fused, code, code)
                .initializer("bilinear.b", new float[fused], fused)
                .namedNode(BILINEAR_NODE, "Einsum", List.of(TOP + ".a", "bilinear.w", BOTTOM + ".a"), List.of("z"),
                        OnnxModelBuilder.text("equation", "bi,kij,bj->bk"))
                .node("Add", List.of("z", "bilinear.b"), List.of("zb"))
                .node("Relu", List.of("zb"), List.of("za"))
                .initializer("fc.w", OnnxModelBuilder.randomWeights(r, 10 * fused, fused), 10, fused)
                .initializer("fc.b", new float[10], 10)
                .node("Gemm", List.of("za", "fc.w", "fc.b"), List.of("y"), OnnxModelBuilder.integer("transB", 1))
                .output("y", -1, 10).build();
    }

    /**
     * Fashion-MNIST images as the fusion model's two inputs. Row-major pixels already hold the top half then the
     * bottom half, so each sample's values stay as they are; only the split is declared.
     */
    public static Dataset halves(Dataset images) {
        return new Dataset(images.name() + " (halves)", new long[] {2 * HALF}, images.features(), images.labels(),
                images.classes(), List.of(new DatasetInput(TOP, new long[] {HALF}),
                        new DatasetInput(BOTTOM, new long[] {HALF})));
    }

    /**
     * The fusion model (codes 32, fused 32) trained by the engine's fine-tuner, 600 Adam steps at batch 64 on the
     * training split; trained once per test JVM.
     */
    public static synchronized ModelProto trained() throws InterruptedException {
        if (trained == null) {
            trained = FashionMnistModels.train(model(23, 32, 32), halves(FashionMnistModels.load(true)), 1e-3f, 64,
                    600);
        }
        return trained;
    }

    /**
     * The same model with its bilinear layer written as PyTorch 1.13 exports {@code t = (x @ w).view(x.shape[0],
     * k, j); z = (t * y.unsqueeze(1)).sum(-1)} at opset 13 with constant folding (compare the fixture
     * bilinear-matmul/mulsum-dynamic-opset13.onnx): the weight folded to [i, k·j], MatMul, the batch size read by
     * Shape/Gather/Unsqueeze into a Concat for the Reshape, Unsqueeze, Mul, ReduceSum. Same weights, same function;
     * the projection MatMul takes the Einsum's name. Any model whose Einsum "bi,kij,bj->bk" is named
     * {@value #BILINEAR_NODE} will do.
     */
    public static ModelProto matMulForm(ModelProto einsumForm) {
        GraphProto g = einsumForm.getGraph();
        NodeProto einsum = g.getNodeList().stream().filter(n -> n.getName().equals(BILINEAR_NODE)).findFirst()
                .orElseThrow();
        String weight = einsum.getInput(1);
        TensorProto w = Weights.of(g).get(weight).orElseThrow();
        int k = (int) w.getDims(0);
        int i = (int) w.getDims(1);
        int j = (int) w.getDims(2);
        float[] stored = Tensors.toFloats(w);
        float[] folded = new float[stored.length];
        for (int kk = 0; kk < k; kk++) {
            for (int ii = 0; ii < i; ii++) {
                for (int jj = 0; jj < j; jj++) {
                    folded[ii * k * j + kk * j + jj] = stored[(kk * i + ii) * j + jj];
                }
            }
        }
        List<NodeProto> nodes = new ArrayList<>();
        for (NodeProto n : g.getNodeList()) {
            if (!n.getName().equals(BILINEAR_NODE)) {
                nodes.add(n);
                continue;
            }
            String x = n.getInput(0);
            String y = n.getInput(2);
            nodes.add(exported(BILINEAR_NODE, "MatMul", List.of(x, "onnx::MatMul_28"), "onnx::Reshape_7"));
            nodes.add(exported("Shape_1", "Shape", List.of(x), "onnx::Gather_8"));
            nodes.add(int64Constant("Constant_2", "onnx::Gather_9", new long[] {0}));
            nodes.add(exported("Gather_3", "Gather", List.of("onnx::Gather_8", "onnx::Gather_9"),
                    "onnx::Unsqueeze_10", OnnxModelBuilder.integer("axis", 0)));
            nodes.add(int64Constant("Constant_4", "onnx::Unsqueeze_13", new long[] {0}, 1));
            nodes.add(exported("Unsqueeze_5", "Unsqueeze", List.of("onnx::Unsqueeze_10", "onnx::Unsqueeze_13"),
                    "onnx::Concat_14"));
            nodes.add(int64Constant("Constant_6", "onnx::Concat_29", new long[] {k}, 1));
            nodes.add(int64Constant("Constant_7", "onnx::Concat_30", new long[] {j}, 1));
            nodes.add(exported("Concat_8", "Concat", List.of("onnx::Concat_14", "onnx::Concat_29", "onnx::Concat_30"),
                    "onnx::Reshape_19", OnnxModelBuilder.integer("axis", 0)));
            nodes.add(exported("Reshape_9", "Reshape", List.of("onnx::Reshape_7", "onnx::Reshape_19"),
                    "onnx::Mul_20"));
            nodes.add(int64Constant("Constant_10", "onnx::Unsqueeze_21", new long[] {1}, 1));
            nodes.add(exported("Unsqueeze_11", "Unsqueeze", List.of(y, "onnx::Unsqueeze_21"), "onnx::Mul_22"));
            nodes.add(exported("Mul_12", "Mul", List.of("onnx::Mul_20", "onnx::Mul_22"), "onnx::ReduceSum_23"));
            nodes.add(int64Constant("Constant_13", "onnx::ReduceSum_24", new long[] {-1}, 1));
            nodes.add(exported("ReduceSum_14", "ReduceSum", List.of("onnx::ReduceSum_23", "onnx::ReduceSum_24"),
                    n.getOutput(0), OnnxModelBuilder.integer("keepdims", 0)));
        }
        GraphProto.Builder out = g.toBuilder().clearNode().addAllNode(nodes).clearInitializer();
        g.getInitializerList().stream().filter(t -> !t.getName().equals(weight)).forEach(out::addInitializer);
        out.addInitializer(Tensors.floatTensor("onnx::MatMul_28", folded, i, (long) k * j));
        return einsumForm.toBuilder().setGraph(out).build();
    }

    private static NodeProto exported(String name, String op, List<String> inputs, String output,
                                      AttributeProto... attributes) {
        return NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(inputs).addOutput(output)
                .addAllAttribute(List.of(attributes)).build();
    }

    private static NodeProto int64Constant(String name, String output, long[] values, long... dims) {
        return NodeProto.newBuilder().setName(name).setOpType("Constant").addOutput(output)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(Tensors.int64Tensor("", values, dims))).build();
    }
}
