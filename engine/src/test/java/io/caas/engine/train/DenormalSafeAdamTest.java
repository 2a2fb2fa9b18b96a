package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.caas.engine.runtime.OnnxInterpreter;
import org.junit.jupiter.api.Test;

/**
 * DenormalSafeAdam against DJL's Adam on a weight whose second half gets a gradient only at the first step: those
 * entries' first moments decay by 0.9 a step and, unflushed, pass 1e-30 after about 600 steps and the denormal range
 * after about 700. Over 1,000 steps the weights must stay those of DJL's Adam while no moment ever holds a denormal.
 */
class DenormalSafeAdamTest {

    private static final int N = 64;
    private static final int STEPS = 1000;

    @Test
    void flushesDecayedMomentsToZeroAndOtherwiseUpdatesAsDjlsAdam() {
        try (NDManager m = NDManager.newBaseManager(OnnxInterpreter.ENGINE)) {
            NDArray ours = m.arange(0f, N).div(N);
            NDArray reference = ours.duplicate();
            DenormalSafeAdam adam = new DenormalSafeAdam(1e-3f);
            Optimizer djl = Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build();
            float[] g = new float[N];
            for (int step = 1; step <= STEPS; step++) {
                for (int i = 0; i < N; i++) {
                    g[i] = i < N / 2 ? (float) Math.sin(step + i) * 1e-3f : step == 1 ? 1e-3f : 0f;
                }
                try (NDArray grad = m.create(g); NDArray grad2 = m.create(g)) {
                    adam.update("w", ours, grad);
                    djl.update("w", reference, grad2);
                }
                for (NDArray moment : adam.moments("w")) {
                    for (float v : moment.toFloatArray()) {
                        assertThat(v == 0 || Math.abs(v) >= Float.MIN_NORMAL).as("moment %s at step %d", v, step)
                                .isTrue();
                    }
                }
            }
            float[] a = ours.toFloatArray();
            float[] b = reference.toFloatArray();
            for (int i = 0; i < N; i++) {
                assertThat(a[i]).as("weight %d", i).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-6f));
            }
            // The second half's first moments were flushed to exactly zero (unflushed they would be 1e-4 * 0.9^999).
            float[] firstMoment = adam.moments("w").get(0).toFloatArray();
            for (int i = N / 2; i < N; i++) {
                assertThat(firstMoment[i]).isZero();
            }
            // The weights did move, so the comparison is not between two untouched copies.
            assertThat(Math.abs(a[N - 1] - (N - 1f) / N)).isGreaterThan(1e-4f);
        }
    }
}
