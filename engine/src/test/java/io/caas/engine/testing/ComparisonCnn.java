package io.caas.engine.testing;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The comparison model of BENCHMARKS.md ("All methods on one model"): a Fashion-MNIST CNN with a bilinear layer,
 * trained by the engine, on which every method has a layer to rewrite. Shared by the engine's benchmarks and the
 * service's REST benchmark of a speed target.
 */
public final class ComparisonCnn {

    /** The training images it learns from: the first of the Fashion-MNIST training split. */
    public static final int TRAIN = 12_000;
    public static final long PRETRAIN_STEPS = 1_500;

    private ComparisonCnn() {
    }

    /** The model trained on the first {@link #TRAIN} Fashion-MNIST training images (cached, as below). */
    public static ModelProto trained() throws Exception {
        return pretrained(FashionMnistModels.slice(FashionMnistModels.load(true), 0, TRAIN, true));
    }

    /** The model, trained once and kept under target/ so reruns skip the slowest part. */
    public static ModelProto pretrained(Dataset train) throws Exception {
        return pretrained("comparison-bilinear-cnn-seed5", model(5), train);
    }

    /** {@code untrained} after {@link #PRETRAIN_STEPS} Adam steps on {@code train}, cached as target/NAME-STEPS.onnx. */
    public static ModelProto pretrained(String name, ModelProto untrained, Dataset train) throws Exception {
        Path cached = Path.of("target", name + "-" + PRETRAIN_STEPS + ".onnx");
        if (Files.isRegularFile(cached)) {
            return OnnxModels.read(cached);
        }
        ModelProto trained = FashionMnistModels.train(untrained, train, 1e-3f, 64, PRETRAIN_STEPS);
        OnnxModels.write(trained, cached);
        return trained;
    }

    /**
     * Conv(16,3×3)-Relu-MaxPool-Conv(32,3×3)-Relu, then two paths from those features: MaxPool-Flatten-Gemm(128)-
     * Relu-Gemm(512)-Relu-Gemm(128)-Relu (the dense path, x) and GlobalAveragePool-Flatten (32 channel means, y);
     * a bilinear layer z_k = xᵀW_k y + b_k (Einsum "bi,kij,bj->bk", 64×128×32)-Relu, and Gemm(10). He-initialised;
     * 600,202 parameters, 44 % of them in the bilinear weight.
     */
    public static ModelProto model(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        OnnxModelBuilder b = new OnnxModelBuilder("comparison-bilinear-cnn", 13).input("x", -1, 1, 28, 28);
        conv(b, r, "conv0", "x", 1, 16, "c0");
        b.node("Relu", List.of("c0"), List.of("r0"))
                .node("MaxPool", List.of("r0"), List.of("p0"), OnnxModelBuilder.ints("kernel_shape", 2, 2),
                        OnnxModelBuilder.ints("strides", 2, 2));
        conv(b, r, "conv1", "p0", 16, 32, "c1");
        b.node("Relu", List.of("c1"), List.of("r1"))
                .node("MaxPool", List.of("r1"), List.of("p1"), OnnxModelBuilder.ints("kernel_shape", 2, 2),
                        OnnxModelBuilder.ints("strides", 2, 2))
                .node("Flatten", List.of("p1"), List.of("f"), OnnxModelBuilder.integer("axis", 1))
                .node("GlobalAveragePool", List.of("r1"), List.of("gp"))
                .node("Flatten", List.of("gp"), List.of("g"), OnnxModelBuilder.integer("axis", 1));
        String prev = "f";
        int[] sizes = {32 * 7 * 7, 128, 512, 128};
        for (int l = 0; l + 1 < sizes.length; l++) {
            gemm(b, r, "fc" + l, prev, sizes[l], sizes[l + 1], "h" + l);
            b.node("Relu", List.of("h" + l), List.of("a" + l));
            prev = "a" + l;
        }
        int fused = 64;
        b.initializer("bilinear.w", OnnxModelBuilder.randomWeights(r, fused * 128 * 32, 128 * 32), fused, 128, 32)
                .initializer("bilinear.b", new float[fused], fused)
                .namedNode("bilinear", "Einsum", List.of(prev, "bilinear.w", "g"), List.of("z"),
                        OnnxModelBuilder.text("equation", "bi,kij,bj->bk"))
                .node("Add", List.of("z", "bilinear.b"), List.of("zb"))
                .node("Relu", List.of("zb"), List.of("za"));
        gemm(b, r, "classifier", "za", fused, 10, "y");
        return b.output("y", -1, 10).build();
    }

    private static void conv(OnnxModelBuilder b, SplittableRandom r, String name, String input, int in, int out,
                             String output) {
        b.initializer(name + ".w", OnnxModelBuilder.randomWeights(r, out * in * 9, in * 9), out, in, 3, 3)
                .initializer(name + ".b", new float[out], out)
                .node("Conv", List.of(input, name + ".w", name + ".b"), List.of(output),
                        OnnxModelBuilder.ints("kernel_shape", 3, 3), OnnxModelBuilder.ints("pads", 1, 1, 1, 1));
    }

    private static void gemm(OnnxModelBuilder b, SplittableRandom r, String name, String input, int in, int out,
                             String output) {
        b.initializer(name + ".w", OnnxModelBuilder.randomWeights(r, in * out, in), out, in)
                .initializer(name + ".b", new float[out], out)
                .node("Gemm", List.of(input, name + ".w", name + ".b"), List.of(output),
                        OnnxModelBuilder.integer("transB", 1));
    }
}
