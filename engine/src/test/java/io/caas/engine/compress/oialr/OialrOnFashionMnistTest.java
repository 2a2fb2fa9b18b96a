package io.caas.engine.compress.oialr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.FashionMnistModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OIALR end to end on real Fashion-MNIST: an MLP and a small CNN trained by the engine's fine-tuner, then trained
 * on in low-rank form for a short budget. The exported file runs in ONNX Runtime and gives the interpreter's
 * outputs for the final factorized model.
 */
class OialrOnFashionMnistTest {

    private static Dataset train;
    private static Dataset test;
    private static ModelProto mlp;

    @BeforeAll
    static void load() throws InterruptedException {
        Dataset all = FashionMnistModels.load(true);
        train = FashionMnistModels.slice(all, 0, 10_000, true);
        test = FashionMnistModels.slice(FashionMnistModels.load(false), 0, 2_000, true);
        mlp = FashionMnistModels.train(FashionMnistModels.mlp(3, 256, 128), train, 1e-3f, 64, 400);
    }

    /** Records everything a job would persist. */
    static final class Recorder implements ProgressListener {
        final List<Double> fractions = new ArrayList<>();
        final List<String> messages = new ArrayList<>();
        final List<double[]> totalRank = new ArrayList<>();
        int losses;

        @Override
        public void progress(double fraction, String message) {
            fractions.add(fraction);
            messages.add(message);
        }

        @Override
        public void metric(String name, long step, double value) {
            if (name.equals("loss")) {
                losses++;
            } else if (name.equals("totalRank")) {
                totalRank.add(new double[] {step, value});
            }
        }
    }

    @Test
    void mlpWithLabelsShrinksAndItsExportRunsInOnnxRuntime() throws Exception {
        EvaluationOptions options = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);
        double before = Evaluator.measure(mlp, Optional.of(test), options).top1Accuracy();
        Recorder rec = new Recorder();
        long t0 = System.nanoTime();
        OialrMethod.Outcome out = new OialrMethod().run(new CompressionTask(mlp,
                Map.of("frequency", 50, "sigmaCutoff", 0.3, "onlyIfFaster", false), Optional.of(train), Optional.of(test),
                new TrainingBudget(null, 300L, 64, 1e-3)), rec);
        double seconds = (System.nanoTime() - t0) / 1e9;
        ModelProto compressed = out.result().compressed();
        long paramsBefore = ModelInspector.inspect(mlp).parameters();
        long paramsAfter = ModelInspector.inspect(compressed).parameters();
        double after = Evaluator.measure(compressed, Optional.of(test), options).top1Accuracy();
        System.out.printf("oialr MLP 784-256-128-10: %d -> %d parameters, accuracy %.4f -> %.4f (2000 test images), "
                + "%d steps in %.1f s%n", paramsBefore, paramsAfter, before, after, out.steps(), seconds);
        out.result().layers().forEach(l -> System.out.printf("  %s %s rank %d -> %d, %d -> %d params, %s%n", l.node(),
                Arrays.toString(l.matrixShape()), l.originalRank(), l.finalRank(), l.parametersBefore(),
                l.parametersAfter(), l.note()));
        System.out.println("  totalRank " + curve(out.result().curves().get("totalRank")));

        assertThat(out.steps()).isEqualTo(300);
        assertThat(paramsAfter).isLessThan(paramsBefore);
        assertThat(compressed.getSerializedSize()).isLessThan(mlp.getSerializedSize());
        assertThat(after).isGreaterThan(0.75);
        List<LayerReport> layers = out.result().layers();
        assertThat(layers).hasSize(3);
        assertThat(layers.get(2).factorized()).isFalse(); // the classifier stays dense by default
        assertThat(layers.get(0).factorized()).isTrue();
        assertThat(layers.get(0).finalRank()).isLessThan(layers.get(0).originalRank());
        assertThat(layers.get(0).parametersAfter()).isEqualTo(layers.get(0).finalRank() * (784 + 256));

        // curves: loss at every step, total rank at the start and after every chunk, never rising
        Map<String, List<double[]>> curves = out.result().curves();
        assertThat(curves.get("loss")).hasSize(300);
        assertThat(curves.get("loss").get(299)[0]).isEqualTo(300);
        List<double[]> ranks = curves.get("totalRank");
        assertThat(ranks).hasSize(7);
        assertThat(ranks.get(0)).containsExactly(0, 256 + 128);
        for (int i = 1; i < ranks.size(); i++) {
            assertThat(ranks.get(i)[1]).isLessThanOrEqualTo(ranks.get(i - 1)[1]);
        }
        assertThat(curves).containsKeys("rank:gemm_1", "rank:gemm_3");
        assertThat(rec.losses).isEqualTo(300);
        assertThat(rec.totalRank).hasSize(7);
        assertThat(rec.fractions).isSorted().last().isEqualTo(1.0);

        assertOnnxRuntimeMatchesInterpreter(compressed, out.finalFactorized(), 500);
    }

    @Test
    void aParameterBudgetIsReachedHalfWayAndTrainedAtAfterwards() throws Exception {
        EvaluationOptions options = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);
        long before = ModelInspector.inspect(mlp).parameters();
        long target = 60_000;
        // a cut-off low enough to leave the cutting to the budget alone
        OialrMethod.Outcome out = new OialrMethod().run(new CompressionTask(mlp,
                Map.of("frequency", 25, "sigmaCutoff", 0.02, "targetParameters", target), Optional.of(train),
                Optional.empty(), new TrainingBudget(null, 200L, 64, 1e-3)), ProgressListener.NONE);
        ModelProto compressed = out.result().compressed();
        long after = ModelInspector.inspect(compressed).parameters();
        double accuracy = Evaluator.measure(compressed, Optional.of(test), options).top1Accuracy();
        List<double[]> ranks = out.result().curves().get("totalRank");
        System.out.printf("oialr targetParameters %d on the MLP (%d): %d, accuracy %.4f, totalRank %s%n", target,
                before, after, accuracy, curve(ranks));
        assertThat(after).isLessThanOrEqualTo(target).isGreaterThan(target * 95 / 100);
        // the allowance falls over the first 100 steps; then the ranks hold (give or take a shift between layers
        // as their spectra move), so steps 100..200 train at the target
        assertThat(ranks.get(4)[0]).isEqualTo(100);
        for (int i = 1; i < ranks.size(); i++) {
            assertThat(ranks.get(i)[1]).isLessThan(i <= 4 ? ranks.get(i - 1)[1] : ranks.get(i - 1)[1] + 1);
        }
        assertThat(ranks.get(ranks.size() - 1)[1]).isGreaterThan(0.95 * ranks.get(4)[1]);
        assertThat(accuracy).isGreaterThan(0.75);
        assertOnnxRuntimeMatchesInterpreter(compressed, out.finalFactorized(), 200);

        ModelSummary summary = ModelInspector.inspect(mlp);
        // biases 256+128+10, the classifier 1280, and rank 2 (minRank) of the other two layers
        long floor = 394 + 1280 + 2 * (784 + 256) + 2 * (256 + 128);
        assertThatThrownBy(() -> new OialrMethod().validate(Map.of("targetParameters", floor - 1), summary))
                .hasMessageContaining("below the smallest model oialr can make here: " + floor);
        new OialrMethod().validate(Map.of("targetParameters", floor), summary);
    }

    @Test
    void withoutLabelsItDistilsTheOriginal() throws Exception {
        Dataset unlabelled = FashionMnistModels.slice(train, 0, 5_000, false);
        OialrMethod.Outcome out = new OialrMethod().run(new CompressionTask(mlp,
                Map.of("frequency", 40, "sigmaCutoff", 0.3, "onlyIfFaster", false), Optional.of(unlabelled), Optional.empty(),
                new TrainingBudget(null, 120L, 64, 1e-3)), ProgressListener.NONE);
        EvaluationOptions options = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);
        double before = Evaluator.measure(mlp, Optional.of(test), options).top1Accuracy();
        double after = Evaluator.measure(out.result().compressed(), Optional.of(test), options).top1Accuracy();
        System.out.printf("oialr MLP distilled without labels: accuracy %.4f -> %.4f, %d -> %d parameters%n", before,
                after, ModelInspector.inspect(mlp).parameters(),
                ModelInspector.inspect(out.result().compressed()).parameters());
        List<double[]> loss = out.result().curves().get("loss");
        assertThat(loss).hasSize(120);
        assertThat(after).isGreaterThan(before - 0.05);
        assertOnnxRuntimeMatchesInterpreter(out.result().compressed(), out.finalFactorized(), 200);
    }

    @Test
    void cnnConvolutionsBecomeRFiltersAndA1x1Conv() throws Exception {
        ModelProto cnn = FashionMnistModels.train(FashionMnistModels.cnn(4, 8, 32, 128), train, 2e-3f, 64, 150);
        EvaluationOptions options = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);
        double before = Evaluator.measure(cnn, Optional.of(test), options).top1Accuracy();
        OialrMethod.Outcome out = new OialrMethod().run(new CompressionTask(cnn,
                Map.of("frequency", 40, "sigmaCutoff", 0.3, "onlyIfFaster", false), Optional.of(train), Optional.empty(),
                new TrainingBudget(null, 120L, 64, 1e-3)), ProgressListener.NONE);
        ModelProto compressed = out.result().compressed();
        double after = Evaluator.measure(compressed, Optional.of(test), options).top1Accuracy();
        System.out.printf("oialr CNN: %d -> %d parameters, accuracy %.4f -> %.4f%n",
                ModelInspector.inspect(cnn).parameters(), ModelInspector.inspect(compressed).parameters(), before, after);
        out.result().layers().forEach(l -> System.out.printf("  %s %s rank %d -> %d, %d -> %d params, %s%n", l.node(),
                Arrays.toString(l.matrixShape()), l.originalRank(), l.finalRank(), l.parametersBefore(),
                l.parametersAfter(), l.note()));
        List<LayerReport> layers = out.result().layers();
        assertThat(layers).extracting(LayerReport::node).containsExactly("conv_0", "conv_3", "gemm_7", "gemm_9");
        assertThat(layers.get(0).note()).contains("first convolution");
        assertThat(layers.get(3).note()).contains("last layer");
        assertThat(ModelInspector.inspect(compressed).parameters()).isLessThan(ModelInspector.inspect(cnn).parameters());
        assertThat(after).isGreaterThan(0.6);
        assertOnnxRuntimeMatchesInterpreter(compressed, out.finalFactorized(), 200);

        // a harder cut on the second conv alone, so that it is exported as r filters and a 1x1 conv
        OialrMethod.Outcome conv = new OialrMethod().run(new CompressionTask(cnn,
                Map.of("frequency", 30, "sigmaCutoff", 0.5, "layers", List.of("conv_3"), "onlyIfFaster", false), Optional.of(train),
                Optional.empty(), new TrainingBudget(null, 90L, 64, 1e-3)), ProgressListener.NONE);
        LayerReport c = conv.result().layers().get(1);
        System.out.printf("oialr conv_3 alone: rank %d -> %d, %d -> %d parameters, accuracy %.4f%n", c.originalRank(),
                c.finalRank(), c.parametersBefore(), c.parametersAfter(),
                Evaluator.measure(conv.result().compressed(), Optional.of(test), options).top1Accuracy());
        assertThat(c.factorized()).isTrue();
        assertThat(c.parametersAfter()).isEqualTo(c.finalRank() * (32 + 72)).isLessThan(2304);
        List<String> ops = conv.result().compressed().getGraph().getNodeList().stream()
                .map(n -> n.getOpType()).toList();
        assertThat(ops.stream().filter("Conv"::equals).count()).isEqualTo(3); // conv_0, then r filters and 1x1
        assertOnnxRuntimeMatchesInterpreter(conv.result().compressed(), conv.finalFactorized(), 200);
    }

    @Test
    void interruptCancels() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        ProgressListener interrupting = (fraction, message) -> {
            if (calls.incrementAndGet() == 20) {
                Thread.currentThread().interrupt();
            }
        };
        assertThatThrownBy(() -> new OialrMethod().compress(new CompressionTask(mlp, Map.of("frequency", 10),
                Optional.of(train), Optional.empty(), new TrainingBudget(null, 100L, 32, 1e-3)), interrupting))
                .isInstanceOf(InterruptedException.class);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void refusesToRunWithoutTrainingData() {
        assertThatThrownBy(() -> new OialrMethod().compress(new CompressionTask(mlp, Map.of(), Optional.empty(),
                Optional.of(test)), ProgressListener.NONE))
                .isInstanceOf(io.caas.engine.compress.InvalidParametersException.class)
                .hasMessageContaining("training data");
    }

    /** The exported two-factor model in ONNX Runtime against the three-factor model in the interpreter. */
    static void assertOnnxRuntimeMatchesInterpreter(ModelProto exported, ModelProto factorized, int samples) {
        int per = test.sampleElements();
        float[] x = Arrays.copyOf(test.features(), samples * per);
        float[][] ort;
        try (ModelRunner runner = new ModelRunner(exported, 1, test.sampleShape())) {
            ort = runner.run(x, 0, samples);
        }
        double maxDiff = 0;
        try (InterpretedModel m = OnnxInterpreter.load(factorized, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            NDArray input = nd.create(x, new Shape(samples, 1, 28, 28));
            float[] interp = m.forward(new NDList(input)).head().toFloatArray();
            int classes = interp.length / samples;
            for (int i = 0; i < samples; i++) {
                for (int c = 0; c < classes; c++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ort[i][c] - interp[i * classes + c]));
                }
            }
        }
        System.out.printf("  ONNX Runtime (exported) vs interpreter (final factorized): max |diff| %.2e%n", maxDiff);
        assertThat(maxDiff).isLessThanOrEqualTo(1e-4);
    }

    private static String curve(List<double[]> c) {
        return c.stream().map(p -> (long) p[0] + ":" + (long) p[1]).toList().toString();
    }
}
