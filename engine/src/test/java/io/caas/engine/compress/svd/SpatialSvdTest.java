package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.testing.OnnxModelBuilder;
import io.caas.engine.testing.OrtVsInterpreter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** svd's spatial form of a conv: a kh×1 conv then a 1×kw conv, with the original's strides, pads and dilations. */
class SpatialSvdTest {

    private static final int IN = 3;
    private static final int OUT = 5;
    private static final long[] SAMPLE = {IN, 9, 11};

    private final SplittableRandom random = new SplittableRandom(9);
    private final ModelProto conv = new OnnxModelBuilder("conv", 13).input("x", -1, IN, 9, 11)
            .initializer("w", OnnxModelBuilder.randomWeights(random, OUT * IN * 9, IN * 9), OUT, IN, 3, 3)
            .initializer("b", OnnxModelBuilder.randomWeights(random, OUT, 1), OUT)
            .node("Conv", List.of("x", "w", "b"), List.of("y"), OnnxModelBuilder.ints("kernel_shape", 3, 3),
                    OnnxModelBuilder.ints("strides", 2, 1), OnnxModelBuilder.ints("pads", 1, 0, 2, 1),
                    OnnxModelBuilder.ints("dilations", 1, 2))
            .output("y").build();

    @Test
    void atFullRankTheSplitConvComputesTheOriginal() {
        // the kernel as a (3·3) × (5·3) matrix has rank 9
        ModelProto split = compress(9).compressed();
        assertThat(split.getGraph().getNodeList()).extracting(NodeProto::getOpType).containsExactly("Conv", "Conv");
        float[] x = new float[2 * IN * 9 * 11];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[][] expected = run(conv, x);
        float[][] actual = run(split, x);
        for (int n = 0; n < expected.length; n++) {
            assertThat(actual[n]).hasSameSizeAs(expected[n]).containsExactly(expected[n], within(1e-4f));
        }
        // and the interpreter, which fine-tunes it, runs it as ONNX Runtime does
        assertThat(OrtVsInterpreter.maxAbsDiff(split, SAMPLE, x, 2)).isLessThan(1e-4);
    }

    @Test
    void truncationKeepsTheBestKernelOfItsRankAndCostsRTimesInKhPlusOutKw() {
        CompressionResult r = compress(4);
        LayerReport layer = r.layers().get(0);
        assertThat(layer.finalRank()).isEqualTo(4);
        assertThat(layer.parametersAfter()).isEqualTo(4L * (IN * 3 + OUT * 3));
        assertThat(ModelInspector.inspect(r.compressed()).parameters()).isEqualTo(4L * (IN * 3 + OUT * 3) + OUT);

        Weights original = Weights.of(conv.getGraph());
        Weights split = Weights.of(r.compressed().getGraph());
        float[] w = Tensors.toFloats(original.get("w").orElseThrow());
        NodeProto vertical = r.compressed().getGraph().getNode(0);
        NodeProto horizontal = r.compressed().getGraph().getNode(1);
        float[] v = Tensors.toFloats(split.get(vertical.getInput(1)).orElseThrow());
        float[] h = Tensors.toFloats(split.get(horizontal.getInput(1)).orElseThrow());
        double error = 0;
        for (int o = 0; o < OUT; o++) {
            for (int c = 0; c < IN; c++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        double rebuilt = 0;
                        for (int k = 0; k < 4; k++) {
                            rebuilt += (double) h[(o * 4 + k) * 3 + j] * v[(k * IN + c) * 3 + i];
                        }
                        double d = w[((o * IN + c) * 3 + i) * 3 + j] - rebuilt;
                        error += d * d;
                    }
                }
            }
        }
        double[] sigma = SpatialFactors.of(ModelInspector.inspect(conv).layers().get(0), 0,
                original.get("w").orElseThrow()).singularValues();
        double dropped = 0;
        for (int i = 4; i < sigma.length; i++) {
            dropped += sigma[i] * sigma[i];
        }
        assertThat(error).isCloseTo(dropped, within(1e-4 * dropped));
    }

    @Test
    void whitenedByItsColumnPatchesItIsStillExactAtFullRank() throws InterruptedException {
        int samples = 40;
        float[] x = new float[samples * IN * 9 * 11];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        io.caas.engine.data.Dataset data = new io.caas.engine.data.Dataset("random", SAMPLE, x, null, 0);
        for (String whitening : List.of("parallel", "sequential")) {
            CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(conv, Map.of("rank", 9,
                    "convForm", "spatial", "whitening", whitening, "skipFirstAndLast", false, "onlyIfSmaller", false,
                    "onlyIfFaster", false),
                    Optional.of(data), Optional.empty()), ProgressListener.NONE);
            assertThat(r.layers().get(0).note()).contains("output energy (spatial form), whitened (" + whitening);
            float[][] expected = run(conv, x);
            float[][] actual = run(r.compressed(), x);
            for (int n = 0; n < 2; n++) {
                assertThat(actual[n]).containsExactly(expected[n], within(1e-3f));
            }
        }
        assertThatThrownBy(() -> new TruncatedSvdMethod().validate(Map.of("convForm", "diagonal"),
                ModelInspector.inspect(conv))).hasMessageContaining("convForm must be one of [auto, channels, spatial], "
                + "got diagonal");
    }

    private CompressionResult compress(int rank) {
        try {
            return new TruncatedSvdMethod().compress(new CompressionTask(conv, Map.of("rank", rank, "convForm",
                    "spatial", "skipFirstAndLast", false, "onlyIfSmaller", false, "onlyIfFaster", false), Optional.empty(),
                    Optional.empty()), ProgressListener.NONE);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static float[][] run(ModelProto model, float[] x) {
        try (ModelRunner runner = new ModelRunner(model, 1, SAMPLE)) {
            return runner.run(x, 0, 2);
        }
    }
}
