package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OnnxModelBuilder;
import io.caas.engine.testing.OrtVsInterpreter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * 1-D convolutions (nn.Conv1d, as audio models hold them: a kernel [out, in, k]) are layers like 2-D ones: listed,
 * and factorized by svd (r filters of the original size, then a size-1 conv) and trained by oialr.
 */
class Conv1dSvdTest {

    private static final long[] SAMPLE = {4, 32};

    private final SplittableRandom random = new SplittableRandom(11);
    /** Conv1d 4→16 (k 3, pad 1), Relu, Conv1d 16→32 (k 5, stride 2, pad 2, dilation 1), Relu, mean, Gemm 32→5. */
    private final ModelProto model = new OnnxModelBuilder("conv1d", 13).input("x", -1, 4, 32)
            .initializer("w1", OnnxModelBuilder.randomWeights(random, 16 * 4 * 3, 4 * 3), 16, 4, 3)
            .initializer("b1", OnnxModelBuilder.randomWeights(random, 16, 1), 16)
            .node("Conv", List.of("x", "w1", "b1"), List.of("c1"), OnnxModelBuilder.ints("kernel_shape", 3),
                    OnnxModelBuilder.ints("pads", 1, 1))
            .node("Relu", List.of("c1"), List.of("r1"))
            .initializer("w2", OnnxModelBuilder.randomWeights(random, 32 * 16 * 5, 16 * 5), 32, 16, 5)
            .initializer("b2", OnnxModelBuilder.randomWeights(random, 32, 1), 32)
            .node("Conv", List.of("r1", "w2", "b2"), List.of("c2"), OnnxModelBuilder.ints("kernel_shape", 5),
                    OnnxModelBuilder.ints("strides", 2), OnnxModelBuilder.ints("pads", 2, 2))
            .node("Relu", List.of("c2"), List.of("r2"))
            .node("GlobalAveragePool", List.of("r2"), List.of("g"))
            .node("Flatten", List.of("g"), List.of("f"), OnnxModelBuilder.integer("axis", 1))
            .initializer("fc", OnnxModelBuilder.randomWeights(random, 5 * 32, 32), 5, 32)
            .node("Gemm", List.of("f", "fc"), List.of("y"), OnnxModelBuilder.integer("transB", 1))
            .output("y", -1, 5).build();

    @Test
    void theInspectorListsConv1dLayersWithTheirMatrixShape() {
        ModelSummary summary = ModelInspector.inspect(model);
        List<WeightedLayer> convs = summary.layers().stream().filter(l -> l.kind() == LayerKind.CONV).toList();
        assertThat(convs).extracting(WeightedLayer::matrixShape).containsExactly(new long[] {16, 12},
                new long[] {32, 80});
        assertThat(convs).extracting(WeightedLayer::parameters).containsExactly(192L, 2560L);
    }

    @Test
    void atFullRankTheFactorizedConv1dComputesTheOriginalInOnnxRuntimeAndTheInterpreter() throws Exception {
        // the second kernel as a 32 × 80 matrix has rank 32 at most; 32·(80 + 32) > 2,560, so onlyIfSmaller is off
        CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(model, Map.of("rank", 32,
                "layers", List.of("conv_2"), "onlyIfSmaller", false, "onlyIfFaster", false), Optional.empty(),
                Optional.empty()), ProgressListener.NONE);
        assertThat(layer(r, "conv_2").factorized()).as(layer(r, "conv_2").note()).isTrue();
        assertThat(r.compressed().getGraph().getNodeList()).filteredOn(n -> n.getOpType().equals("Conv"))
                .hasSize(3);
        float[] x = gaussian(3 * 4 * 32);
        float[][] expected = run(model, x);
        float[][] actual = run(r.compressed(), x);
        for (int n = 0; n < expected.length; n++) {
            assertThat(actual[n]).containsExactly(expected[n], within(1e-4f));
        }
        assertThat(OrtVsInterpreter.maxAbsDiff(r.compressed(), SAMPLE, x, 3)).isLessThan(1e-4);
    }

    @Test
    void svdWhitenedOnSamplesAndOialrTrainedCompressConv1dLayers() throws Exception {
        Dataset data = new Dataset("gaussian", SAMPLE, gaussian(64 * 4 * 32), labels(64), 5);
        CompressionResult svd = new TruncatedSvdMethod().compress(new CompressionTask(model, Map.of("ratio", 0.3,
                "skipFirstAndLast", false, "onlyIfFaster", false, "fineTune", false), Optional.of(data),
                Optional.empty()), ProgressListener.NONE);
        LayerReport second = layer(svd, "conv_2");
        assertThat(second.factorized()).as(second.note()).isTrue();
        assertThat(second.note()).contains("whitened");
        assertThat(second.parametersAfter()).isEqualTo((long) second.finalRank() * (80 + 32));
        assertThat(ModelInspector.inspect(svd.compressed()).parameters())
                .isLessThan(ModelInspector.inspect(model).parameters());
        assertThat(OrtVsInterpreter.maxAbsDiff(svd.compressed(), SAMPLE, 3)).isLessThan(1e-4);

        CompressionResult oialr = CompressionMethods.get("oialr").compress(new CompressionTask(model,
                Map.of("skipFirstAndLast", false, "sigmaCutoff", 0.7, "frequency", 5, "onlyIfFaster", false), Optional.of(data),
                Optional.empty(), new TrainingBudget(null, 20L, 16, null)), ProgressListener.NONE);
        assertThat(oialr.layers()).filteredOn(l -> l.node().equals("conv_2")).singleElement()
                .satisfies(l -> {
                    assertThat(l.factorized()).as(l.note()).isTrue();
                    assertThat(l.parametersAfter()).isEqualTo((long) l.finalRank() * (80 + 32)).isLessThan(2560);
                });
        assertThat(OrtVsInterpreter.maxAbsDiff(oialr.compressed(), SAMPLE, 3)).isLessThan(1e-4);
    }

    private static LayerReport layer(CompressionResult r, String node) {
        return r.layers().stream().filter(l -> l.node().equals(node)).findFirst().orElseThrow();
    }

    private float[] gaussian(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private int[] labels(int n) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = random.nextInt(5);
        }
        return y;
    }

    private static float[][] run(ModelProto model, float[] x) {
        try (ModelRunner runner = new ModelRunner(model, 1, SAMPLE)) {
            return runner.run(x, 0, 3);
        }
    }
}
