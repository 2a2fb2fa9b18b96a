package io.caas.engine.compress.tied;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tying on real Fashion-MNIST classifiers trained by the engine: an MLP with a 128→512→128 block (Gemm, transB 1,
 * as PyTorch exports) and a CNN with a 1×1 reduce/expand pair. Tying alone costs accuracy; fine-tuning with labels
 * brings it back. The export runs in ONNX Runtime as in the interpreter.
 */
class TiedOnFashionMnistTest {

    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);

    private static Dataset train;
    private static Dataset test;
    private static ModelProto mlp;

    @BeforeAll
    static void load() throws InterruptedException {
        train = FashionMnistModels.slice(FashionMnistModels.load(true), 0, 10_000, true);
        test = FashionMnistModels.slice(FashionMnistModels.load(false), 0, 2_000, true);
        mlp = FashionMnistModels.train(FashionMnistModels.mlp(5, 128, 512, 128), train, 1e-3f, 64, 400);
    }

    @Test
    void mlpBottleneckIsTiedAndFineTuningWithLabelsRecoversAccuracy() throws Exception {
        double before = accuracy(mlp);
        CompressionResult untrained = new TiedMethod().compress(new CompressionTask(mlp, Map.of("fineTune", false),
                Optional.of(train), Optional.empty()), ProgressListener.NONE);
        double tiedOnly = accuracy(untrained.compressed());
        long t0 = System.nanoTime();
        CompressionResult tuned = new TiedMethod().compress(new CompressionTask(mlp, Map.of(), Optional.of(train),
                Optional.empty(), new TrainingBudget(null, 300L, 64, null)), ProgressListener.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double after = accuracy(tuned.compressed());
        long paramsBefore = ModelInspector.inspect(mlp).parameters();
        long paramsAfter = ModelInspector.inspect(tuned.compressed()).parameters();
        System.out.printf(Locale.ROOT, "tied MLP 784-128-512-128-10: %d -> %d parameters, %d -> %d bytes; accuracy "
                        + "%.4f original, %.4f tied untrained, %.4f after 300 steps (%.1f s)%n", paramsBefore,
                paramsAfter, mlp.getSerializedSize(), tuned.compressed().getSerializedSize(), before, tiedOnly, after,
                seconds);
        List<LayerReport> layers = tuned.layers();
        layers.forEach(l -> System.out.println("  " + l.node() + ": " + l.note()));

        assertThat(layers).hasSize(1);
        assertThat(layers.get(0).node()).isEqualTo("gemm_3+gemm_5");
        assertThat(layers.get(0).matrixShape()).containsExactly(128, 512);
        assertThat(layers.get(0).note()).contains("Gemm→Relu→Gemm");
        assertThat(paramsBefore - paramsAfter).isEqualTo(128L * 512);
        assertThat(mlp.getSerializedSize() - tuned.compressed().getSerializedSize()).isBetween(128 * 512 * 4 - 64,
                128 * 512 * 4 + 64);
        assertThat(tuned.curves().get("loss")).hasSize(300);
        assertThat(tiedOnly).isLessThan(before - 0.05);
        assertThat(after).isGreaterThan(tiedOnly + 0.05).isGreaterThan(before - 0.03);
        assertOnnxRuntimeMatchesInterpreter(tuned.compressed(), 500);
    }

    @Test
    void oneByOneConvolutionPairIsTied() throws Exception {
        ModelProto cnn = FashionMnistModels.train(bottleneckCnn(9), train, 2e-3f, 64, 150);
        double before = accuracy(cnn);
        CompressionResult r = new TiedMethod().compress(new CompressionTask(cnn, Map.of(), Optional.of(train),
                Optional.empty(), new TrainingBudget(null, 100L, 64, null)), ProgressListener.NONE);
        double after = accuracy(r.compressed());
        System.out.printf(Locale.ROOT, "tied CNN 1x1 16->4->16: %d -> %d parameters, accuracy %.4f -> %.4f%n",
                ModelInspector.inspect(cnn).parameters(), ModelInspector.inspect(r.compressed()).parameters(), before,
                after);
        assertThat(r.layers()).extracting(LayerReport::node).containsExactly("reduce+expand");
        assertThat(r.layers().get(0).note()).contains("Conv→Relu→Conv");
        assertThat(ModelInspector.inspect(cnn).parameters() - ModelInspector.inspect(r.compressed()).parameters())
                .isEqualTo(16 * 4);
        assertThat(after).isGreaterThan(0.6);
        assertOnnxRuntimeMatchesInterpreter(r.compressed(), 200);
    }

    /** Conv 3×3 1→16, Relu, 1×1 16→4, Relu, 1×1 4→16, Relu, MaxPool 4, Flatten, Gemm 784→10. */
    static ModelProto bottleneckCnn(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new OnnxModelBuilder("fashion-bottleneck", 13).input("x", -1, 1, 28, 28)
                .initializer("c.w", OnnxModelBuilder.randomWeights(r, 16 * 9, 9), 16, 1, 3, 3)
                .initializer("c.b", new float[16], 16)
                .node("Conv", List.of("x", "c.w", "c.b"), List.of("c"), OnnxModelBuilder.ints("pads", 1, 1, 1, 1))
                .node("Relu", List.of("c"), List.of("rc"))
                .initializer("reduce.w", OnnxModelBuilder.randomWeights(r, 4 * 16, 16), 4, 16, 1, 1)
                .initializer("reduce.b", new float[4], 4)
                .namedNode("reduce", "Conv", List.of("rc", "reduce.w", "reduce.b"), List.of("d"))
                .node("Relu", List.of("d"), List.of("rd"))
                .initializer("expand.w", OnnxModelBuilder.randomWeights(r, 16 * 4, 4), 16, 4, 1, 1)
                .initializer("expand.b", new float[16], 16)
                .namedNode("expand", "Conv", List.of("rd", "expand.w", "expand.b"), List.of("e"))
                .node("Relu", List.of("e"), List.of("re"))
                .node("MaxPool", List.of("re"), List.of("p"), OnnxModelBuilder.ints("kernel_shape", 4, 4),
                        OnnxModelBuilder.ints("strides", 4, 4))
                .node("Flatten", List.of("p"), List.of("f"), OnnxModelBuilder.integer("axis", 1))
                .initializer("fc.w", OnnxModelBuilder.randomWeights(r, 10 * 784, 784), 10, 784)
                .initializer("fc.b", new float[10], 10)
                .node("Gemm", List.of("f", "fc.w", "fc.b"), List.of("y"), OnnxModelBuilder.integer("transB", 1))
                .output("y", -1, 10).build();
    }

    private static double accuracy(ModelProto m) {
        return Evaluator.measure(m, Optional.of(test), OPTIONS).top1Accuracy();
    }

    /** The exported model in ONNX Runtime against the same model in the interpreter, relative to the largest logit. */
    static void assertOnnxRuntimeMatchesInterpreter(ModelProto exported, int samples) {
        int per = test.sampleElements();
        float[] x = Arrays.copyOf(test.features(), samples * per);
        float[][] ort;
        try (ModelRunner runner = new ModelRunner(exported, 1, test.sampleShape())) {
            ort = runner.run(x, 0, samples);
        }
        double maxDiff = 0;
        double maxAbs = 0;
        try (InterpretedModel m = OnnxInterpreter.load(exported, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            NDArray input = nd.create(x, new Shape(samples, 1, 28, 28));
            float[] interp = m.forward(new NDList(input)).head().toFloatArray();
            int classes = interp.length / samples;
            for (int i = 0; i < samples; i++) {
                for (int c = 0; c < classes; c++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ort[i][c] - interp[i * classes + c]));
                    maxAbs = Math.max(maxAbs, Math.abs(ort[i][c]));
                }
            }
        }
        System.out.printf(Locale.ROOT, "  ONNX Runtime vs interpreter: max |diff| %.2e, relative %.2e%n", maxDiff,
                maxDiff / maxAbs);
        assertThat(maxDiff / maxAbs).isLessThanOrEqualTo(1e-4);
    }
}
