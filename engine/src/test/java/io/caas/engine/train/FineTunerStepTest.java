package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * FineTuner's step differs from DJL's plain training step in four ways: it holds each parameter's gradient array for
 * the whole run instead of fetching it anew every step, updates neighbouring small weights through one view of their
 * packed span (see TrainableParameters), seeds the backward pass with the loss's scale instead of putting the mean
 * on the tape (ScaledBackward), and uses DenormalSafeAdam for Adam. This trains the same CNN on the same
 * Fashion-MNIST batches both ways, the reference with DJL's own GradientCollector.backward and stock optimizers, one
 * parameter at a time, and requires the same weights: were libtorch ever to hand a parameter a new gradient tensor,
 * the held one would go stale, and were a packed weight not a view of its span it would not move, so the weights
 * would part after the first step.
 */
class FineTunerStepTest {

    private static final int STEPS = 30;
    private static final int BATCH = 8;

    @ParameterizedTest
    @EnumSource(TrainingConfig.OptimizerKind.class)
    void heldGradientsGiveTheWeightsOfFetchingThemEachStep(TrainingConfig.OptimizerKind kind) throws Exception {
        Dataset train = FashionMnist.load("train", STEPS * BATCH, true);
        ModelProto cnn = SmallCnn.build(11);
        TrainingConfig cfg = TrainingConfig.adam(2e-3f, BATCH, 1).withMaxSteps(STEPS).withOptimizer(kind)
                .withObjective(TrainingConfig.Objective.CROSS_ENTROPY);

        Map<String, float[]> start;
        Map<String, float[]> tuned;
        try (InterpretedModel m = OnnxInterpreter.load(cnn, Device.cpu())) {
            start = weights(m);
            FineTuner.train(m, train, null, cfg, ProgressListener.NONE);
            tuned = weights(m);
        }
        Map<String, float[]> reference;
        try (InterpretedModel m = OnnxInterpreter.load(cnn, Device.cpu())) {
            trainFetchingGradientsEachStep(m, train, cfg);
            reference = weights(m);
        }

        assertThat(tuned.keySet()).containsExactlyElementsOf(reference.keySet());
        double maxMoved = 0;
        for (String name : tuned.keySet()) {
            maxMoved = Math.max(maxMoved, maxAbsDiff(tuned.get(name), start.get(name)));
            assertThat(maxAbsDiff(tuned.get(name), reference.get(name))).as(name).isLessThanOrEqualTo(1e-6);
        }
        // Training did move the weights, so the comparison above is not between two untouched copies.
        assertThat(maxMoved).isGreaterThan(1e-3);
    }

    /**
     * A step leaves nothing in the model's manager, which lives as long as the job: counted after the first flush of
     * DenormalSafeAdam's moments and again three flushes later, the arrays it holds are the same number. (The flush
     * had left two arrays of each weight group's size there every 16 steps.)
     */
    @ParameterizedTest
    @EnumSource(TrainingConfig.OptimizerKind.class)
    void stepsLeaveNoArraysInTheModelsManager(TrainingConfig.OptimizerKind kind) throws Exception {
        int flush = DenormalSafeAdam.FLUSH_EVERY;
        Dataset train = FashionMnist.load("train", 4 * flush * 2, true);
        TrainingConfig cfg = TrainingConfig.adam(2e-3f, 2, 1).withMaxSteps(4L * flush).withOptimizer(kind)
                .withObjective(TrainingConfig.Objective.CROSS_ENTROPY);
        try (InterpretedModel m = OnnxInterpreter.load(SmallCnn.build(11), Device.cpu())) {
            int[] held = new int[2];
            FineTuner.train(m, train, null, cfg, new ProgressListener() {
                @Override
                public void progress(double fraction, String message) {
                }

                @Override
                public void metric(String metric, long step, double value) {
                    if (step == flush) {
                        held[0] = m.manager().getManagedArrays().size();
                    } else if (step == 4L * flush) {
                        held[1] = m.manager().getManagedArrays().size();
                    }
                }
            });
            assertThat(held[0]).isPositive();
            assertThat(held[1]).isEqualTo(held[0]);
        }
    }

    /** The step as FineTuner took it before: the gradient fetched per parameter and step, then zeroed by hand. */
    private static void trainFetchingGradientsEachStep(InterpretedModel m, Dataset data, TrainingConfig cfg) {
        List<Parameter> trainable = new ArrayList<>(m.block().getParameters().values());
        Optimizer optimizer = cfg.optimizer() == TrainingConfig.OptimizerKind.ADAM
                ? Optimizer.adam().optLearningRateTracker(Tracker.fixed(cfg.learningRate())).build()
                : FineTuner.optimizer(cfg);
        ParameterStore ps = new ParameterStore(m.manager(), false);
        int[] order = Batches.identity(data.size());
        FineTuner.shuffle(order, new Random(cfg.seed()));
        for (int step = 0; step < STEPS; step++) {
            int from = step * BATCH;
            try (NDManager batch = m.manager().newSubManager()) {
                NDArray x = Batches.features(batch, data, order, from, from + BATCH);
                NDArray y = Batches.labels(batch, data, order, from, from + BATCH);
                try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                    NDArray out = m.block().forward(ps, new NDList(x), true).head();
                    Losses.ScaledLoss loss = Losses.crossEntropy(out, false, y);
                    // The mean on the tape, as a plain DJL training step puts it.
                    gc.backward(loss.unscaled().mul(loss.scale()));
                }
                for (Parameter p : trainable) {
                    NDArray grad = p.getArray().getGradient();
                    grad.attach(batch);
                    optimizer.update(p.getId(), p.getArray(), grad);
                    grad.subi(grad);
                }
            }
        }
    }

    private static Map<String, float[]> weights(InterpretedModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.block().weightParameters().forEach((name, p) -> out.put(name, p.getArray().toFloatArray()));
        return out;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
