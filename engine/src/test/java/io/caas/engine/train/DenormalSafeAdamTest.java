package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.caas.engine.runtime.OnnxInterpreter;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DenormalSafeAdam against DJL's Adam on a weight whose second half gets a gradient only at the first step: those
 * entries' first moments decay by 0.9 a step and, unflushed, pass 1e-30 after about 600 steps and the denormal range
 * after about 700. Over 1,000 steps the weights must stay those of DJL's Adam while no moment ever holds a denormal.
 */
class DenormalSafeAdamTest {

    private static final int N = 64;
    private static final int STEPS = 1000;

    /** Through DJL's kernel and through libtorch's fused one (the default on the CPU), the weights are DJL's Adam's. */
    @ParameterizedTest(name = "fused {0}")
    @ValueSource(booleans = {false, true})
    void flushesDecayedMomentsToZeroAndOtherwiseUpdatesAsDjlsAdam(boolean fused) {
        if (fused) {
            assertThat(io.caas.engine.runtime.FusedAdam.available()).as("libtorch's fused Adam").isTrue();
        }
        try (NDManager m = NDManager.newBaseManager(OnnxInterpreter.ENGINE)) {
            NDArray ours = m.arange(0f, N).div(N);
            NDArray reference = ours.duplicate();
            DenormalSafeAdam adam = new DenormalSafeAdam(1e-3f, DenormalSafeAdam.CHUNK, fused);
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

    /**
     * Lazy Adam by rows, through both kernels (DJL's is what a GPU worker runs): a 6 × 4 table whose rows 1 and 4 are
     * updated on odd steps and rows 1 and 2 on even steps trains each row as Adam on that row alone would with the
     * table's step count, and a row never named stays as it was.
     */
    @ParameterizedTest(name = "fused {0}")
    @ValueSource(booleans = {false, true})
    void updatesOnlyTheRowsNamedAsAdamOnThoseRows(boolean fused) {
        try (NDManager m = NDManager.newBaseManager(OnnxInterpreter.ENGINE)) {
            NDArray table = m.arange(0f, 24f).div(24f).reshape(6, 4);
            float[] start = table.toFloatArray();
            DenormalSafeAdam adam = new DenormalSafeAdam(1e-2f, DenormalSafeAdam.CHUNK, fused);
            // the reference: per row, Adam's formula with the table's step t, moments fed only when the row is named
            double[][] mean = new double[6][4];
            double[][] variance = new double[6][4];
            double[][] expected = new double[6][4];
            for (int r = 0; r < 6; r++) {
                for (int c = 0; c < 4; c++) {
                    expected[r][c] = start[r * 4 + c];
                }
            }
            for (int t = 1; t <= 20; t++) {
                long[] rows = t % 2 == 1 ? new long[] {1, 4} : new long[] {1, 2};
                float[] g = new float[8];
                for (int i = 0; i < 8; i++) {
                    g[i] = (float) Math.sin(3 * t + i) * 0.1f;
                }
                try (NDArray at = m.create(rows); NDArray grad = m.create(g).reshape(2, 4)) {
                    adam.updateRows("table", table, at, grad);
                }
                for (int k = 0; k < 2; k++) {
                    int r = (int) rows[k];
                    for (int c = 0; c < 4; c++) {
                        double gi = g[k * 4 + c];
                        mean[r][c] = 0.9 * mean[r][c] + 0.1 * gi;
                        variance[r][c] = 0.999 * variance[r][c] + 0.001 * gi * gi;
                        double step = 1e-2 * Math.sqrt(1 - Math.pow(0.999, t)) / (1 - Math.pow(0.9, t));
                        expected[r][c] -= step * mean[r][c] / (Math.sqrt(variance[r][c]) + 1e-8);
                    }
                }
            }
            float[] actual = table.toFloatArray();
            for (int r = 0; r < 6; r++) {
                for (int c = 0; c < 4; c++) {
                    if (r == 0 || r == 3 || r == 5) {
                        assertThat(actual[r * 4 + c]).as("row %d never named", r).isEqualTo(start[r * 4 + c]);
                    } else {
                        assertThat((double) actual[r * 4 + c]).as("row %d, column %d", r, c)
                                .isCloseTo(expected[r][c], Offset.offset(1e-5));
                        assertThat(Math.abs(actual[r * 4 + c] - start[r * 4 + c])).isGreaterThan(1e-3f);
                    }
                }
            }
        }
    }

    /**
     * A weight larger than the chunk is updated in slices of whole rows (here 50 × 7 in slices of 9 rows, the last of
     * 5, and a 3 × 40 weight whose rows each exceed the chunk, updated whole). Each weight gets its gradient from a
     * backward pass, as in fine-tuning: the weights stay those of DJL's Adam on the whole array, and the weight's own
     * gradient is left at zero after every update, as DJL's update leaves it. (Slices are for DJL's kernel, whose
     * temporaries they bound; libtorch's fused kernel makes none and takes the weight whole, see the test above.)
     */
    @Test
    void updatesALargeWeightInSlicesOfRowsAsOneUpdate() {
        Engine engine = Engine.getEngine(OnnxInterpreter.ENGINE);
        try (NDManager m = NDManager.newBaseManager(OnnxInterpreter.ENGINE)) {
            for (Shape shape : new Shape[] {new Shape(50, 7), new Shape(3, 40)}) {
                NDArray ours = m.arange(0f, shape.size()).div(shape.size()).reshape(shape);
                NDArray reference = ours.duplicate();
                ours.setRequiresGradient(true);
                reference.setRequiresGradient(true);
                DenormalSafeAdam adam = new DenormalSafeAdam(1e-2f, 64, false);
                Optimizer djl = Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-2f)).build();
                float[] g = new float[(int) shape.size()];
                for (int step = 1; step <= 40; step++) {
                    for (int i = 0; i < g.length; i++) {
                        g[i] = (float) Math.sin(step * 0.7 + i) * (1 + i % 5);
                    }
                    try (NDManager s = m.newSubManager()) {
                        NDArray target = s.create(g, shape);
                        for (NDArray w : new NDArray[] {ours, reference}) {
                            try (GradientCollector gc = engine.newGradientCollector()) {
                                gc.backward(w.mul(target).sum());
                            }
                        }
                        NDArray ourGrad = ours.getGradient();
                        NDArray referenceGrad = reference.getGradient();
                        ourGrad.attach(s);
                        referenceGrad.attach(s);
                        assertThat(ourGrad.toFloatArray()).as("gradient of step %d", step).containsExactly(g);
                        adam.update("w", ours, ourGrad);
                        djl.update("w", reference, referenceGrad);
                        assertThat(ourGrad.abs().max().getFloat()).as("gradient after step %d", step).isZero();
                    }
                }
                float[] a = ours.toFloatArray();
                float[] b = reference.toFloatArray();
                for (int i = 0; i < a.length; i++) {
                    assertThat(a[i]).as("%s weight %d", shape, i).isCloseTo(b[i], Offset.offset(1e-6f));
                }
                // Every row moved, the last slice's included.
                assertThat(Math.abs(a[a.length - 1] - (a.length - 1f) / a.length)).isGreaterThan(1e-3f);
                assertThat(adam.moments("w").get(0).getShape()).isEqualTo(shape);
            }
        }
    }

    @Test
    void leavesNoArraysBehindInTheWeightsManager() {
        // The weights' manager lives as long as the model: an array left in it every flush adds up over a long job
        // (two of a weight's size every 16 steps).
        try (NDManager m = NDManager.newBaseManager(OnnxInterpreter.ENGINE)) {
            NDArray weight = m.arange(0f, N).div(N);
            DenormalSafeAdam adam = new DenormalSafeAdam(1e-3f);
            int afterFirst = 0;
            for (int step = 1; step <= 4 * DenormalSafeAdam.FLUSH_EVERY; step++) {
                try (NDManager batch = m.newSubManager()) {
                    adam.update("w", weight, batch.ones(new Shape(N)).mul(1e-3f));
                }
                if (step == 1) {
                    afterFirst = m.getManagedArrays().size();
                }
            }
            assertThat(m.getManagedArrays()).hasSize(afterFirst);
        }
    }
}
