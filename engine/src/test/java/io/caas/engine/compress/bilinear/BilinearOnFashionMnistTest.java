package io.caas.engine.compress.bilinear;

import io.caas.engine.compress.hadamard.CpDecomposition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.testing.FusionModels;
import io.caas.engine.train.Evaluation;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bilinear method on a two-input fusion classifier trained by the engine on real Fashion-MNIST (top and bottom
 * image halves fused by a 32×32×32 bilinear layer): the exported Hadamard form runs in ONNX Runtime with the
 * interpreter's outputs, and fine-tuning brings the accuracy back.
 */
class BilinearOnFashionMnistTest {

    private static ModelProto fusion;
    private static Dataset train;
    private static Dataset test;
    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);

    @BeforeAll
    static void load() throws InterruptedException {
        fusion = FusionModels.trained();
        train = FusionModels.halves(FashionMnistModels.slice(FashionMnistModels.load(true), 0, 10_000, true));
        test = FusionModels.halves(FashionMnistModels.slice(FashionMnistModels.load(false), 0, 2_000, true));
    }

    @Test
    void theInspectorListsTheBilinearLayerAndTheTrainedModelRunsAlikeInBothRuntimes() {
        ModelSummary summary = ModelInspector.inspect(fusion);
        WeightedLayer bilinear = summary.layers().stream().filter(l -> l.kind() == LayerKind.BILINEAR)
                .findFirst().orElseThrow();
        assertThat(bilinear.node()).isEqualTo(FusionModels.BILINEAR_NODE);
        assertThat(bilinear.opType()).isEqualTo("Einsum");
        assertThat(bilinear.matrixShape()).containsExactly(32, 32, 32);
        assertThat(bilinear.parameters()).isEqualTo(32 * 32 * 32);
        assertThat(summary.inputs()).extracting(s -> s.name()).containsExactly(FusionModels.TOP, FusionModels.BOTTOM);

        double ort = Evaluator.measure(fusion, Optional.of(test), OPTIONS).top1Accuracy();
        double interpreted;
        try (InterpretedModel m = OnnxInterpreter.load(fusion, Device.cpu())) {
            interpreted = Evaluation.accuracy(m, test, 500);
        }
        System.out.printf("fusion model: top-1 %.4f in ONNX Runtime, %.4f in the interpreter (2000 test images)%n",
                ort, interpreted);
        assertThat(ort).isGreaterThan(0.75).isCloseTo(interpreted, org.assertj.core.data.Offset.offset(0.001));
    }

    @Test
    void withoutTrainingDataTheFittedFactorsAreExportedInHadamardForm() throws Exception {
        CompressionResult r = CompressionMethods.get("bilinear").compress(new CompressionTask(fusion,
                Map.of("rank", 64), Optional.empty(), Optional.empty()), ProgressListener.NONE);
        ModelProto compressed = r.compressed();
        LayerReport layer = r.layers().get(0);
        System.out.printf("bilinear rank 64, fitted only: %s, accuracy %.4f -> %.4f%n", layer.note(),
                Evaluator.measure(fusion, Optional.of(test), OPTIONS).top1Accuracy(),
                Evaluator.measure(compressed, Optional.of(test), OPTIONS).top1Accuracy());
        assertThat(layer.factorized()).isTrue();
        assertThat(layer.finalRank()).isEqualTo(64);
        assertThat(layer.originalRank()).isEqualTo(32 * 32);
        assertThat(layer.parametersAfter()).isEqualTo(64 * (32 + 32 + 32));
        assertThat(ModelInspector.inspect(fusion).parameters() - ModelInspector.inspect(compressed).parameters())
                .isEqualTo(32 * 32 * 32 - 64 * 96);
        assertThat(compressed.getSerializedSize()).isLessThan(fusion.getSerializedSize() - 80_000);

        // no dense W left: the Einsum became two projections, a Hadamard product and the output projection
        List<String> ops = compressed.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertThat(ops).doesNotContain("Einsum");
        assertThat(ops).containsSubsequence("MatMul", "MatMul", "Mul", "MatMul", "Add");
        assertThat(Weights.of(compressed.getGraph()).get("bilinear.w")).isEmpty();
        assertThat(Tensors.elementCount(Weights.of(compressed.getGraph()).get("bilinear.P").orElseThrow()))
                .isEqualTo(64 * 32);
        assertThat(ModelInspector.inspect(compressed).layers()).noneMatch(l -> l.kind() == LayerKind.BILINEAR);

        assertOnnxRuntimeMatchesInterpreter(compressed, 500);
    }

    @Test
    void fineTuningWithLabelsKeepsTheAccuracyAtATenthOfTheBilinearWeight() throws Exception {
        double before = Evaluator.measure(fusion, Optional.of(test), OPTIONS).top1Accuracy();
        long t0 = System.nanoTime();
        CompressionResult r = CompressionMethods.get("bilinear").compress(new CompressionTask(fusion, Map.of(),
                Optional.of(train), Optional.of(test), new TrainingBudget(null, 300L, 64, null)), ProgressListener.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double after = Evaluator.measure(r.compressed(), Optional.of(test), OPTIONS).top1Accuracy();
        LayerReport layer = r.layers().get(0);
        System.out.printf("bilinear default ratio 0.1 + 300 steps: %s; %d -> %d parameters, accuracy %.4f -> %.4f "
                        + "in %.1f s%n", layer.note(), ModelInspector.inspect(fusion).parameters(),
                ModelInspector.inspect(r.compressed()).parameters(), before, after, seconds);
        // ratio 0.1 of 32·32·32: the largest d with d·96 ≤ 3276.8
        assertThat(layer.finalRank()).isEqualTo(34);
        assertThat(layer.parametersAfter()).isEqualTo(34 * 96).isLessThanOrEqualTo(32 * 32 * 32 / 10);
        assertThat(r.curves().get("loss")).hasSize(300);
        assertThat(after).isGreaterThan(before - 0.02);
        assertOnnxRuntimeMatchesInterpreter(r.compressed(), 500);
    }

    @Test
    void withoutLabelsItDistilsTheOriginal() throws Exception {
        Dataset unlabelled = FashionMnistModels.slice(train, 0, 5_000, false);
        double before = Evaluator.measure(fusion, Optional.of(test), OPTIONS).top1Accuracy();
        CompressionResult r = CompressionMethods.get("bilinear").compress(new CompressionTask(fusion,
                Map.of("rank", 16), Optional.of(unlabelled), Optional.empty(), new TrainingBudget(null, 150L, 64, null)),
                ProgressListener.NONE);
        double after = Evaluator.measure(r.compressed(), Optional.of(test), OPTIONS).top1Accuracy();
        System.out.printf("bilinear rank 16 distilled without labels (150 steps): accuracy %.4f -> %.4f, %s%n", before,
                after, r.layers().get(0).note());
        assertThat(r.curves().get("loss")).hasSize(150);
        assertThat(after).isGreaterThan(before - 0.05);
    }

    @Test
    void atFullRankTheFitReproducesTheTrainedWeight() {
        float[] w = Tensors.toFloats(Weights.of(fusion.getGraph()).get("bilinear.w").orElseThrow());
        CpDecomposition.Factors full = CpDecomposition.fit(w, 32, 32, 32, CpDecomposition.exactRank(32, 32, 32), 50, 1);
        assertThat(full.relativeError()).isLessThan(1e-6);
        double low = CpDecomposition.fit(w, 32, 32, 32, 16, 50, 1).relativeError();
        double mid = CpDecomposition.fit(w, 32, 32, 32, 128, 50, 1).relativeError();
        System.out.printf("CP fit of the trained 32x32x32 weight: relative error %.4f at rank 16, %.4f at 128%n", low,
                mid);
        assertThat(mid).isLessThan(low);
    }

    @Test
    void everyBadParameterIsListed() {
        assertThatThrownBy(() -> CompressionMethods.get("bilinear").validate(Map.of("rank", 0, "ratio", 1.5,
                "layers", List.of("gemm_0"), "sweeps", "many", "colour", "red"), ModelInspector.inspect(fusion)))
                .isInstanceOf(InvalidParametersException.class)
                .satisfies(e -> assertThat(((InvalidParametersException) e).problems()).hasSize(6)
                        .anySatisfy(p -> assertThat(p).contains("rank"))
                        .anySatisfy(p -> assertThat(p).contains("ratio"))
                        .anySatisfy(p -> assertThat(p).contains("not both"))
                        .anySatisfy(p -> assertThat(p).contains("'gemm_0' is not a bilinear layer"))
                        .anySatisfy(p -> assertThat(p).contains("sweeps"))
                        .anySatisfy(p -> assertThat(p).contains("colour")));
        ModelProto mlp = FashionMnistModels.mlp(1, 16);
        assertThatThrownBy(() -> CompressionMethods.get("bilinear").validate(Map.of(), ModelInspector.inspect(mlp)))
                .hasMessageContaining("no bilinear layer");
    }

    /** ONNX Runtime on the exported file against the interpreter on the same model, both fed the two halves. */
    private static void assertOnnxRuntimeMatchesInterpreter(ModelProto exported, int samples) {
        float[][] ort;
        try (ModelRunner runner = new ModelRunner(exported, 1, test.sampleShape(), test.inputs())) {
            ort = runner.run(test.features(), 0, samples);
        }
        Dataset first = FashionMnistModels.slice(test, 0, samples, true);
        double maxDiff = 0;
        try (InterpretedModel m = OnnxInterpreter.load(exported, Device.cpu());
             var nd = m.manager().newSubManager()) {
            float[] top = new float[samples * FusionModels.HALF];
            float[] bottom = new float[samples * FusionModels.HALF];
            for (int i = 0; i < samples; i++) {
                System.arraycopy(first.features(), i * 2 * FusionModels.HALF, top, i * FusionModels.HALF,
                        FusionModels.HALF);
                System.arraycopy(first.features(), (2 * i + 1) * FusionModels.HALF, bottom, i * FusionModels.HALF,
                        FusionModels.HALF);
            }
            float[] interp = m.forward(new ai.djl.ndarray.NDList(
                    nd.create(top, new ai.djl.ndarray.types.Shape(samples, FusionModels.HALF)),
                    nd.create(bottom, new ai.djl.ndarray.types.Shape(samples, FusionModels.HALF)))).head().toFloatArray();
            for (int i = 0; i < samples; i++) {
                for (int c = 0; c < 10; c++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ort[i][c] - interp[i * 10 + c]));
                }
            }
        }
        System.out.printf("  ONNX Runtime vs interpreter on the exported model: max |diff| %.2e (%d samples)%n",
                maxDiff, samples);
        assertThat(maxDiff).isLessThanOrEqualTo(1e-4);
    }
}
