package io.caas.engine.testing;

import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
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
}
