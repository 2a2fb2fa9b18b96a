package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.WeightExport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fine-tuning through the interpreter on Fashion-MNIST, with a CNN written as ONNX. */
class FineTunerTest {

    private static Dataset train;
    private static Dataset test;
    /** The CNN after a short first training, shared as the starting point and as the distillation teacher. */
    private static ModelProto pretrained;

    @BeforeAll
    static void load() throws Exception {
        train = FashionMnist.load("train", 8000, true);
        test = FashionMnist.load("t10k", 2000, true);
        pretrained = pretrained(50);
    }

    /** Trains the CNN from its random start for a few steps, then returns it as ONNX (through WeightExport). */
    private static ModelProto pretrained(int steps) throws InterruptedException {
        ModelProto cnn = SmallCnn.build(5);
        try (InterpretedModel m = OnnxInterpreter.load(cnn, Device.cpu())) {
            FineTuner.train(m, train, null, TrainingConfig.adam(2e-3f, 64, 1).withMaxSteps(steps), ProgressListener.NONE);
            return WeightExport.withTrainedWeights(cnn, m.block());
        }
    }

    @Test
    void fineTuningWithLabelsImprovesAccuracy() throws Exception {
        ModelProto start = pretrained;
        try (InterpretedModel m = OnnxInterpreter.load(start, Device.cpu())) {
            double before = Evaluation.accuracy(m, test, 500);
            List<Double> losses = new ArrayList<>();
            List<Double> fractions = new ArrayList<>();
            ProgressListener listener = new ProgressListener() {
                @Override
                public void progress(double fraction, String message) {
                    fractions.add(fraction);
                }

                @Override
                public void metric(String name, long step, double value) {
                    losses.add(value);
                }
            };
            TrainingResult r = FineTuner.train(m, train, null, TrainingConfig.adam(2e-3f, 64, 1), listener);
            double after = Evaluation.accuracy(m, test, 500);
            System.out.printf("Fashion-MNIST fine-tune: accuracy %.3f -> %.3f in %d steps (loss %.3f -> %.3f)%n",
                    before, after, r.steps(), r.firstLoss(), r.lastLoss());
            assertThat(r.steps()).isEqualTo(125);
            assertThat(fractions).hasSize(125).last().isEqualTo(1.0);
            assertThat(losses).hasSize(125);
            assertThat(after).isGreaterThan(before + 0.03).isGreaterThan(0.78);
            // The fine-tuned weights survive the trip back to ONNX.
            ModelProto tuned = WeightExport.withTrainedWeights(start, m.block());
            try (InterpretedModel reloaded = OnnxInterpreter.load(tuned, Device.cpu())) {
                assertThat(Evaluation.accuracy(reloaded, test, 500)).isEqualTo(after);
            }
        }
    }

    @Test
    void distillationWithoutLabelsRecoversAPrunedModelAndKeepsFrozenWeights() throws Exception {
        ModelProto teacherProto = pretrained;
        Dataset unlabelled = new Dataset("unlabelled", train.sampleShape(), train.features(), null, 0);
        try (InterpretedModel teacher = OnnxInterpreter.load(teacherProto, Device.cpu());
             InterpretedModel student = OnnxInterpreter.load(teacherProto, Device.cpu())) {
            // Stand-in for compression: prune 90% of the classifier weights and 70% of the second conv's.
            prune(student.block().weightParameters().get("fc.w"), 0.9);
            prune(student.block().weightParameters().get("c2.w"), 0.7);
            Parameter frozen = student.block().weightParameters().get("c1.w");
            frozen.freeze(true);
            float[] frozenBefore = frozen.getArray().toFloatArray();
            double teacherAcc = Evaluation.accuracy(teacher, test, 500);
            double before = Evaluation.accuracy(student, test, 500);
            TrainingConfig cfg = TrainingConfig.adam(1e-3f, 64, 1).withMaxSteps(80)
                    .withObjective(TrainingConfig.Objective.KL_DIVERGENCE);
            TrainingResult r = FineTuner.train(student, unlabelled, teacher, cfg, ProgressListener.NONE);
            double after = Evaluation.accuracy(student, test, 500);
            System.out.printf("Distillation: teacher %.3f, pruned student %.3f -> %.3f (KL %.4f -> %.4f)%n",
                    teacherAcc, before, after, r.firstLoss(), r.lastLoss());
            assertThat(r.lastLoss()).isLessThan(r.firstLoss());
            assertThat(after).isGreaterThan(before + 0.05);
            assertThat(frozen.getArray().toFloatArray()).containsExactly(frozenBefore);
        }
    }

    private static void prune(Parameter p, double fraction) {
        NDArray w = p.getArray();
        float[] v = w.toFloatArray();
        float[] abs = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            abs[i] = Math.abs(v[i]);
        }
        java.util.Arrays.sort(abs);
        float cut = abs[(int) (fraction * (abs.length - 1))];
        for (int i = 0; i < v.length; i++) {
            if (Math.abs(v[i]) <= cut) {
                v[i] = 0;
            }
        }
        w.set(v);
    }

    @Test
    void interruptCancelsBetweenSteps() throws Exception {
        AtomicInteger steps = new AtomicInteger();
        ProgressListener interruptAtThree = (fraction, message) -> {
            if (steps.incrementAndGet() == 3) {
                Thread.currentThread().interrupt();
            }
        };
        try (InterpretedModel m = OnnxInterpreter.load(SmallCnn.build(1), Device.cpu())) {
            assertThatThrownBy(() -> FineTuner.train(m, train, null, TrainingConfig.adam(1e-3f, 32, 1), interruptAtThree))
                    .isInstanceOf(InterruptedException.class).hasMessageContaining("after 3 steps");
        }
        assertThat(steps.get()).isEqualTo(3);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void progressMessageGivesTheLossToFourDecimalsAsFormatterDoes() {
        Random rnd = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            double v = i < 5 ? new double[] {0, 2.30258509, 1e-5, 9.99996, 123456.78901}[i]
                    : Math.exp(rnd.nextGaussian() * 4);
            assertThat(FineTuner.fourDecimals(v)).as("%s", v).isEqualTo(String.format(Locale.ROOT, "%.4f", v));
        }
        assertThat(FineTuner.fourDecimals(-0.25)).isEqualTo("-0.2500");
    }

    @Test
    void crossEntropyWithoutLabelsIsRefused() throws Exception {
        Dataset unlabelled = new Dataset("u", train.sampleShape(), new float[784 * 2], null, 0);
        try (InterpretedModel m = OnnxInterpreter.load(SmallCnn.build(1), Device.cpu())) {
            assertThatThrownBy(() -> FineTuner.train(m, unlabelled, null,
                    TrainingConfig.adam(1e-3f, 2, 1).withObjective(TrainingConfig.Objective.CROSS_ENTROPY),
                    ProgressListener.NONE)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels");
        }
    }
}
