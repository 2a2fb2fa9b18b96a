package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.compress.oialr.OialrMethod;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorShapeProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.WeightExport;
import io.caas.engine.testing.OnnxModelBuilder;
import io.caas.engine.testing.TestData;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A model that declares a batch of 1 trains one sample at a time, its gradients added up over each batch: the same
 * step a batch gives, and the way to train openWakeWord's hey_jarvis, whose If takes a condition computed from the
 * one sample it is exported for.
 */
class OneSampleAtATimeTest {

    /** The same MLP declared for any batch and for a batch of 1 takes the same SGD steps on the same batches. */
    @Test
    void stepsOneSampleAtATimeEqualBatchSteps() throws Exception {
        ModelProto anyBatch = OnnxModelBuilder.gemmMlp(5, 20, 16, 4);
        ModelProto batchOfOne = withBatchOfOne(anyBatch);
        Dataset data = gaussian(48, new long[] {20}, 5, 4);
        TrainingConfig cfg = new TrainingConfig(TrainingConfig.OptimizerKind.SGD, 0.05f, 16, 1, 3,
                TrainingConfig.Objective.AUTO, 1f, 3);
        ModelProto a = trained(anyBatch, data, cfg);
        ModelProto b = trained(batchOfOne, data, cfg);
        Weights before = Weights.of(anyBatch.getGraph());
        Weights wa = Weights.of(a.getGraph());
        Weights wb = Weights.of(b.getGraph());
        for (String name : new String[] {"w0", "b0", "w1", "b1"}) {
            float[] x = Tensors.toFloats(wa.get(name).orElseThrow());
            float[] y = Tensors.toFloats(wb.get(name).orElseThrow());
            float[] start = Tensors.toFloats(before.get(name).orElseThrow());
            double moved = 0;
            double apart = 0;
            for (int i = 0; i < x.length; i++) {
                moved = Math.max(moved, Math.abs(x[i] - start[i]));
                apart = Math.max(apart, Math.abs(x[i] - y[i]));
            }
            assertThat(moved).as(name + " trained").isGreaterThan(1e-4);
            assertThat(apart).as(name + ": one at a time against the batch").isLessThan(1e-6);
        }
    }

    /**
     * oialr on hey_jarvis (openWakeWord; input [1, 16, 96], an If on its first head's score), distilling the original
     * on Gaussian features at batch 8: trains without the If refusing a batch's conditions, and exports a model
     * that computes what was trained.
     */
    @Test
    void oialrTrainsHeyJarvisOneSampleAtATime() throws Exception {
        ModelProto jarvis = OnnxModels.read(TestData.openWakeWord("hey_jarvis_v0.1.onnx"));
        Dataset data = gaussian(32, new long[] {16, 96}, 11, 0);
        OialrMethod.Outcome out = new OialrMethod().run(new CompressionTask(jarvis,
                Map.of("frequency", 2, "sigmaCutoff", 0.6, "onlyIfFaster", false), Optional.of(data),
                Optional.empty(), new TrainingBudget(null, 4L, 8, 1e-3)), ProgressListener.NONE);
        assertThat(out.steps()).isEqualTo(4);
        assertThat(out.result().layers()).anyMatch(LayerReport::factorized);
        assertThat(ModelInspector.inspect(out.result().compressed()).parameters())
                .isLessThan(ModelInspector.inspect(jarvis).parameters());
        double diff = Evaluator.compare(out.finalFactorized(), out.result().compressed(), Optional.of(data),
                EvaluationOptions.defaults().withBatchSize(1)).maxAbsDiff();
        assertThat(diff).isLessThan(1e-4);
    }

    /**
     * svd's whitening calibrates hey_jarvis one sample at a time too: at its batch of 32 the If was handed 32
     * conditions and the job failed as an internal error.
     */
    @Test
    void whitenedSvdCalibratesHeyJarvisOneSampleAtATime() throws Exception {
        ModelProto jarvis = OnnxModels.read(TestData.openWakeWord("hey_jarvis_v0.1.onnx"));
        Dataset data = gaussian(40, new long[] {16, 96}, 12, 0);
        for (String whitening : new String[] {"parallel", "sequential"}) {
            var r = new io.caas.engine.compress.svd.TruncatedSvdMethod().compress(new CompressionTask(jarvis,
                    Map.of("whitening", whitening, "ratio", 0.5, "onlyIfFaster", false), Optional.of(data),
                    Optional.empty()), ProgressListener.NONE);
            assertThat(r.layers()).filteredOn(LayerReport::factorized).isNotEmpty()
                    .allSatisfy(l -> assertThat(l.note()).contains("whitened (" + whitening + ") on 40 samples"));
            assertThat(ModelInspector.inspect(r.compressed()).parameters())
                    .isLessThan(ModelInspector.inspect(jarvis).parameters());
        }
    }

    private static ModelProto trained(ModelProto model, Dataset data, TrainingConfig cfg) throws Exception {
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu())) {
            FineTuner.train(m, data, null, cfg, ProgressListener.NONE);
            return WeightExport.withTrainedWeights(model, m.block());
        }
    }

    private static ModelProto withBatchOfOne(ModelProto model) {
        var input = model.getGraph().getInput(0);
        var shape = input.getType().getTensorType().getShape().toBuilder();
        shape.setDim(0, TensorShapeProto.Dimension.newBuilder().setDimValue(1));
        var typed = input.toBuilder().setType(input.getType().toBuilder().setTensorType(
                input.getType().getTensorType().toBuilder().setShape(shape)));
        return model.toBuilder().setGraph(model.getGraph().toBuilder().setInput(0, typed)).build();
    }

    /** Gaussian features; labels in [0, classes) where classes > 0, else none. */
    private static Dataset gaussian(int n, long[] sample, long seed, int classes) {
        SplittableRandom r = new SplittableRandom(seed);
        int per = 1;
        for (long d : sample) {
            per *= (int) d;
        }
        float[] x = new float[n * per];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        if (classes == 0) {
            return new Dataset("gaussian", sample, x, null, 0);
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
        }
        return new Dataset("gaussian", sample, x, y, classes);
    }
}
