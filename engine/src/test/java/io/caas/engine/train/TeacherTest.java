package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.runtime.GradMode;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TeacherTest {

    private static final int N = 40;
    private static final int BATCH = 8;

    private static Dataset features(long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[N * 6];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        return new Dataset("x", new long[] {6}, x, null, 0);
    }

    /**
     * A thread other than the one that started the engine begins with autograd recording on: the worker's case.
     * There a forward pass outside a no-grad scope is recorded (the output of a Gemm model carries AddmmBackward0);
     * DJL's gradient-function query crashes on an output without one, so the scope itself is what is checked.
     */
    @Test
    void theTeacherRunsWithoutAutogradOnAWorkerThread() throws Exception {
        AtomicReference<boolean[]> seen = new AtomicReference<>();
        try (InterpretedModel model = OnnxInterpreter.load(OnnxModelBuilder.gemmMlp(1, 6, 5, 3), Device.cpu())) {
            Dataset data = features(2);
            Thread worker = new Thread(() -> {
                boolean atStart = JniUtils.isGradMode();
                boolean inside;
                try (GradMode off = GradMode.off()) {
                    inside = JniUtils.isGradMode();
                }
                boolean after = JniUtils.isGradMode();
                try (NDManager m = model.manager().newSubManager()) {
                    NDArray x = m.create(Arrays.copyOf(data.features(), BATCH * 6), new Shape(BATCH, 6));
                    new Teacher(model).outputs(new NDList(x), data, Batches.identity(N), 0, BATCH);
                }
                seen.set(new boolean[] {atStart, inside, after, JniUtils.isGradMode()});
            });
            worker.start();
            worker.join();
        }
        assertThat(seen.get()).containsExactly(true, false, true, true);
    }

    @Test
    void laterEpochsReadTheKeptOutputsAndGetTheSameTraining() throws Exception {
        Dataset data = features(3);
        TrainingConfig cfg = TrainingConfig.adam(1e-2f, BATCH, 3).withObjective(TrainingConfig.Objective.MSE);
        float[] withCache;
        float[] without;
        long passesWithCache;
        long passesWithout;
        try (InterpretedModel teacherModel = OnnxInterpreter.load(OnnxModelBuilder.gemmMlp(1, 6, 5, 3), Device.cpu());
             InterpretedModel a = OnnxInterpreter.load(OnnxModelBuilder.gemmMlp(2, 6, 5, 3), Device.cpu());
             InterpretedModel b = OnnxInterpreter.load(OnnxModelBuilder.gemmMlp(2, 6, 5, 3), Device.cpu())) {
            Teacher cached = new Teacher(teacherModel);
            FineTuner.trainWithTeacher(a, data, cached, cfg, ProgressListener.NONE);
            Teacher rerun = new Teacher(teacherModel, 0);
            FineTuner.trainWithTeacher(b, data, rerun, cfg, ProgressListener.NONE);
            passesWithCache = cached.forwardPasses();
            passesWithout = rerun.forwardPasses();
            withCache = a.block().weightParameters().values().iterator().next().getArray().toFloatArray();
            without = b.block().weightParameters().values().iterator().next().getArray().toFloatArray();
        }
        int perEpoch = N / BATCH;
        assertThat(passesWithCache).isEqualTo(perEpoch);
        assertThat(passesWithout).isEqualTo(3L * perEpoch);
        assertThat(withCache).containsExactly(without, org.assertj.core.data.Offset.offset(1e-6f));
    }
}
