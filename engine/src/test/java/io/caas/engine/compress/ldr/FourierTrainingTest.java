package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.WeightExport;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.train.Evaluation;
import io.caas.engine.train.FineTuner;
import io.caas.engine.train.TrainingConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Training through the FFT form on real Fashion-MNIST: from the same closed-form generators and on the same batches,
 * SGD through the DFT graph moves the generators where SGD through the dense rebuild does (so the gradients through
 * DFT are the true ones), accuracy rises, and the trained model written in the other form computes the same outputs
 * in ONNX Runtime.
 */
class FourierTrainingTest {

    private static final Set<String> LAYERS = Set.of("gemm_1", "gemm_3");
    private static final int STEPS = 40;

    private static Dataset train;
    private static Dataset test;
    private static ModelProto mlp;

    @BeforeAll
    static void trainSmallMlp() throws InterruptedException {
        train = FashionMnistModels.slice(FashionMnistModels.load(true), 0, 3_000, true);
        test = FashionMnistModels.slice(FashionMnistModels.load(false), 0, 1_000, true);
        mlp = FashionMnistModels.train(FashionMnistModels.mlp(3, 64, 100), train, 1e-3f, 64, 100);
    }

    @Test
    void sgdThroughTheDftGraphFollowsSgdThroughTheDenseRebuild() throws Exception {
        List<StructuredExport.Layer> start = LdrOnFashionMnistTest.closedFormLayers(mlp, LAYERS);
        StructuredExport fourier = new StructuredExport(mlp, Product.FOURIER);
        StructuredExport dense = new StructuredExport(mlp, Product.DENSE_WEIGHT);
        ModelProto fourierStart = fourier.apply(start);
        ModelProto denseStart = dense.apply(start);
        assertThat(fourier.products().values()).containsOnly(Product.FOURIER);
        assertThat(fourier.generatorNames()).isEqualTo(dense.generatorNames());

        double[] accuracy = new double[2];
        ModelProto fourierTrained = sgd(fourierStart, accuracy);
        ModelProto denseTrained = sgd(denseStart, null);
        System.out.printf("ldr trained through DFT: top-1 %.3f -> %.3f after %d SGD steps%n", accuracy[0],
                accuracy[1], STEPS);
        assertThat(accuracy[1]).isGreaterThan(accuracy[0] + 0.1);

        for (List<String> names : fourier.generatorNames().values()) {
            for (String name : names) {
                float[] before = floats(fourierStart, name);
                float[] viaFft = floats(fourierTrained, name);
                float[] viaDense = floats(denseTrained, name);
                double moved = distance(viaDense, before);
                double apart = distance(viaFft, viaDense);
                System.out.printf("  %s: moved %.4f, FFT vs dense training apart %.2e%n", name, moved, apart);
                assertThat(moved).isGreaterThan(1e-3);
                assertThat(apart / moved).isLessThan(1e-2);
            }
        }

        ModelProto rewritten = dense.reformed(fourierTrained, start);
        assertThat(rewritten.getGraph().getNodeList()).noneMatch(n -> n.getOpType().equals("DFT"));
        float[] a = StructuredExportTest.ort(fourierTrained, test, 200);
        double diff = OrtOutputs.maxDiff(a, StructuredExportTest.ort(rewritten, test, 200));
        double scale = OrtOutputs.maxAbs(a);
        System.out.printf("  trained FFT form vs the same generators rebuilt densely (ORT): max |diff| %.2e, max "
                + "|output| %.2f%n", diff, scale);
        assertThat(diff / scale).isLessThan(1e-4);
    }

    /**
     * Through the method: a 1024×1024 block trains with FFTs (faster there), the 784-wide one with the dense
     * rebuild, and the file takes the form asked for, computing in ONNX Runtime what the interpreter computes.
     */
    @Test
    void ldrTrainsWideBlocksWithFftsAndWritesTheFormAskedFor() throws Exception {
        ModelProto wide = FashionMnistModels.train(FashionMnistModels.mlp(5, 1024, 1024), train, 1e-3f, 64, 60);
        for (Product product : Product.values()) {
            CompressionResult r = new LdrMethod().compress(new CompressionTask(wide, Map.of("fit", "weight",
                    "apply", product.wireName()), Optional.of(train), Optional.empty(),
                    new TrainingBudget(null, 20L, 64, null)), ProgressListener.NONE);
            r.layers().forEach(l -> System.out.printf("  %s: %s%n", l.node(), l.note()));
            String exported = product == Product.FOURIER ? "exported with FFTs"
                    : "exported with the weight rebuilt in the graph";
            assertThat(r.layers().get(0).note()).contains(exported).doesNotContain("trained with FFTs");
            assertThat(r.layers().get(1).note()).contains(exported).contains("trained with FFTs");
            assertThat(r.compressed().getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("DFT")))
                    .isEqualTo(product == Product.FOURIER);
            assertThat(r.curves().get("loss")).hasSize(20);
            StructuredExportTest.assertInterpreterMatchesOrt(r.compressed(), test, 100);
        }
    }

    /** 40 SGD steps at batch 64 on the same batches for any model; accuracy before and after when asked. */
    private static ModelProto sgd(ModelProto model, double[] accuracy) throws InterruptedException {
        TrainingConfig cfg = TrainingConfig.adam(0.01f, 64, 1).withMaxSteps(STEPS)
                .withOptimizer(TrainingConfig.OptimizerKind.SGD);
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu())) {
            if (accuracy != null) {
                accuracy[0] = Evaluation.accuracy(m, test, 1000);
            }
            FineTuner.train(m, train, null, cfg, ProgressListener.NONE);
            if (accuracy != null) {
                accuracy[1] = Evaluation.accuracy(m, test, 1000);
            }
            return WeightExport.withTrainedWeights(model, m.block());
        }
    }

    private static float[] floats(ModelProto model, String name) {
        return Tensors.toFloats(model.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name))
                .findFirst().map(TensorProto.class::cast).orElseThrow());
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }
}
