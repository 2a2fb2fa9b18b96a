package io.caas.engine.compress.bilinear;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.BilinearForm;
import io.caas.engine.onnx.BilinearLayers;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.testing.FusionModels;
import io.caas.engine.testing.OrtVsInterpreter;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Fashion-MNIST fusion classifier (image halves fused by a 32×32×32 bilinear layer, trained by the engine) with
 * its bilinear layer written as PyTorch exports it without einsum (MatMul, run-time Reshape, Unsqueeze, Mul,
 * ReduceSum): {@code bilinear} finds it, and compresses and fine-tunes it exactly as it does the Einsum form.
 */
class BilinearMatMulOnFashionMnistTest {

    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);
    private static final int COMPARED = 500;

    private static ModelProto einsum;
    private static ModelProto matMul;
    private static Dataset train;
    private static Dataset test;

    @BeforeAll
    static void load() throws InterruptedException {
        einsum = FusionModels.trained();
        matMul = FusionModels.matMulForm(einsum);
        train = FusionModels.halves(FashionMnistModels.slice(FashionMnistModels.load(true), 0, 10_000, true));
        test = FusionModels.halves(FashionMnistModels.slice(FashionMnistModels.load(false), 0, 2_000, true));
    }

    @Test
    void theExportersMatMulSequenceIsFoundAsTheSameBilinearLayer() {
        List<String> exported = BilinearMatMulTest.ops(BilinearMatMulTest.fixture("mulsum-dynamic-opset13"));
        List<String> layerOps = exported.subList(0, exported.indexOf("ReduceSum") + 1);
        assertThat(Collections.indexOfSubList(BilinearMatMulTest.ops(matMul), layerOps)).isNotNegative();
        assertThat(BilinearMatMulTest.ops(matMul)).doesNotContain("Einsum");

        WeightedLayer layer = ModelInspector.inspect(matMul).layers().stream()
                .filter(l -> l.kind() == LayerKind.BILINEAR).findFirst().orElseThrow();
        assertThat(layer.node()).isEqualTo(FusionModels.BILINEAR_NODE);
        assertThat(layer.opType()).isEqualTo("MatMul");
        assertThat(layer.matrixShape()).containsExactly(32, 32, 32);
        assertThat(ModelInspector.inspect(matMul).layers()).hasSameSizeAs(ModelInspector.inspect(einsum).layers());
        BilinearForm form = BilinearLayers.byNode(matMul.getGraph()).values().iterator().next();
        assertThat(form.first()).isEqualTo(FusionModels.TOP + ".a");
        assertThat(form.second()).isEqualTo(FusionModels.BOTTOM + ".a");
        // the folded [i, k·j] matrix read back in the layer's [k, i, j] layout is the Einsum's weight, value for value
        assertThat(form.weightValues(Weights.of(matMul.getGraph())))
                .containsExactly(Tensors.toFloats(Weights.of(einsum.getGraph()).get("bilinear.w").orElseThrow()));

        double einsumAccuracy = Evaluator.measure(einsum, Optional.of(test), OPTIONS).top1Accuracy();
        double matMulAccuracy = Evaluator.measure(matMul, Optional.of(test), OPTIONS).top1Accuracy();
        double ortVsInterpreter = OrtVsInterpreter.maxAbsDiff(matMul, test.inputs(), test.features(), COMPARED);
        System.out.printf("fusion model in MatMul form: top-1 %.4f (Einsum form %.4f); ORT vs interpreter max |diff| "
                + "%.2e%n", matMulAccuracy, einsumAccuracy, ortVsInterpreter);
        assertThat(matMulAccuracy).isGreaterThan(0.75).isCloseTo(einsumAccuracy, Offset.offset(0.001));
        assertThat(ortVsInterpreter).isLessThanOrEqualTo(1e-4);
    }

    @Test
    void fittedOnlyBothFormsExportTheSameHadamardModel() throws Exception {
        CompressionResult fromEinsum = compress(einsum, Map.of("rank", 64), Optional.empty(), null);
        CompressionResult fromMatMul = compress(matMul, Map.of("rank", 64), Optional.empty(), null);
        ModelProto compressed = fromMatMul.compressed();
        assertThat(fromMatMul.layers().get(0).factorized()).isTrue();
        assertThat(fromMatMul.layers().get(0).note()).isEqualTo(fromEinsum.layers().get(0).note());
        assertThat(ModelInspector.inspect(compressed).parameters())
                .isEqualTo(ModelInspector.inspect(fromEinsum.compressed()).parameters())
                .isEqualTo(ModelInspector.inspect(matMul).parameters() - 32 * 32 * 32 + 64 * 96);
        // the whole pattern went, run-time shape chain included
        assertThat(BilinearMatMulTest.ops(compressed)).containsExactlyElementsOf(
                BilinearMatMulTest.ops(fromEinsum.compressed()));
        assertThat(compressed.getGraph().getInitializerCount())
                .isEqualTo(fromEinsum.compressed().getGraph().getInitializerCount());

        float[][] a = OrtVsInterpreter.onnxRuntime(fromEinsum.compressed(), test.inputs(), test.features(), COMPARED);
        float[][] b = OrtVsInterpreter.onnxRuntime(compressed, test.inputs(), test.features(), COMPARED);
        double diff = 0;
        for (int i = 0; i < COMPARED; i++) {
            for (int c = 0; c < 10; c++) {
                diff = Math.max(diff, Math.abs(a[i][c] - b[i][c]));
            }
        }
        double ortVsInterpreter = OrtVsInterpreter.maxAbsDiff(compressed, test.inputs(), test.features(), COMPARED);
        System.out.printf("rank 64 fitted only: Einsum-form vs MatMul-form exports max |diff| %.2e; MatMul form's "
                + "export ORT vs interpreter %.2e%n", diff, ortVsInterpreter);
        assertThat(diff).isLessThanOrEqualTo(1e-5);
        assertThat(ortVsInterpreter).isLessThanOrEqualTo(1e-4);
    }

    @Test
    void fineTunedTheMatMulFormReachesTheEinsumFormsAccuracy() throws Exception {
        TrainingBudget budget = new TrainingBudget(null, 300L, 64, null);
        double before = Evaluator.measure(matMul, Optional.of(test), OPTIONS).top1Accuracy();
        long t0 = System.nanoTime();
        CompressionResult fromMatMul = compress(matMul, Map.of(), Optional.of(train), budget);
        double seconds = (System.nanoTime() - t0) / 1e9;
        CompressionResult fromEinsum = compress(einsum, Map.of(), Optional.of(train), budget);
        double matMulAfter = Evaluator.measure(fromMatMul.compressed(), Optional.of(test), OPTIONS).top1Accuracy();
        double einsumAfter = Evaluator.measure(fromEinsum.compressed(), Optional.of(test), OPTIONS).top1Accuracy();
        System.out.printf("default ratio 0.1 + 300 steps: MatMul form %.4f -> %.4f in %.1f s (%s); Einsum form -> "
                + "%.4f%n", before, matMulAfter, seconds, fromMatMul.layers().get(0).note(), einsumAfter);
        assertThat(fromMatMul.layers().get(0).finalRank()).isEqualTo(34);
        assertThat(fromMatMul.curves().get("loss")).hasSize(300);
        assertThat(matMulAfter).isGreaterThan(before - 0.02).isCloseTo(einsumAfter, Offset.offset(0.005));
        assertThat(OrtVsInterpreter.maxAbsDiff(fromMatMul.compressed(), test.inputs(), test.features(), COMPARED))
                .isLessThanOrEqualTo(1e-4);
    }

    private static CompressionResult compress(ModelProto model, Map<String, Object> parameters,
                                              Optional<Dataset> data, TrainingBudget budget)
            throws InterruptedException {
        CompressionTask task = budget == null ? new CompressionTask(model, parameters, data, Optional.empty())
                : new CompressionTask(model, parameters, data, Optional.of(test), budget);
        return CompressionMethods.get("bilinear").compress(task, ProgressListener.NONE);
    }
}
