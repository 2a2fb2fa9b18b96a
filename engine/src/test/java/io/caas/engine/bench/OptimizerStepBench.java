package io.caas.engine.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.caas.engine.runtime.OnnxInterpreter;
import java.util.Arrays;
import java.util.Locale;

/**
 * The two measurements behind the optimizer step's design (see TrainableParameters and DenormalSafeAdam), on the
 * shapes of the training-step benchmark's CNN. Not a test: a main class in the test sources, run on the test
 * classpath with one libtorch thread, as scripts/bench-training-step.sh runs TrainingStepBench.
 *
 * <ol>
 *   <li>DJL's Adam over the CNN's six weights one array at a time, against one update of a flat array of all of
 *   them, with what a packed update adds: joining the six gradients and zeroing them.</li>
 *   <li>Scaling 9,098 floats in place (the CNN's parameter count) when they are normal and when they are denormal,
 *   as Adam's first moments become when a weight's gradient stays zero.</li>
 * </ol>
 * Prints the p50 over {@code --reps} (default 20,000) repetitions in microseconds.
 */
public final class OptimizerStepBench {

    private static final long[][] CNN_SHAPES = {{8, 1, 3, 3}, {8}, {16, 8, 3, 3}, {16}, {10, 784}, {10}};

    private OptimizerStepBench() {
    }

    public static void main(String[] args) {
        int reps = args.length == 2 && args[0].equals("--reps") ? Integer.parseInt(args[1]) : 20_000;
        try (NDManager m = NDManager.newBaseManager(OnnxInterpreter.ENGINE)) {
            NDArray[] weights = new NDArray[CNN_SHAPES.length];
            NDArray[] gradients = new NDArray[CNN_SHAPES.length];
            NDList flattened = new NDList();
            long total = 0;
            for (int i = 0; i < weights.length; i++) {
                weights[i] = m.randomNormal(new Shape(CNN_SHAPES[i]));
                weights[i].setRequiresGradient(true);
                gradients[i] = m.randomNormal(new Shape(CNN_SHAPES[i]));
                flattened.add(gradients[i].reshape(-1));
                total += weights[i].size();
            }
            // One backward pass gives each weight a gradient array, so the zeroing below zeroes real tensors.
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                NDArray sum = weights[0].sum();
                for (int i = 1; i < weights.length; i++) {
                    sum = sum.add(weights[i].sum());
                }
                gc.backward(sum);
            }
            NDArray flat = m.randomNormal(new Shape(total));
            Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build();
            long[] separate = new long[reps];
            long[] packed = new long[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < weights.length; i++) {
                    adam.update("w" + i, weights[i], gradients[i]);
                }
                long t1 = System.nanoTime();
                try (NDArray joined = NDArrays.concat(flattened)) {
                    adam.update("flat", flat, joined);
                }
                for (NDArray w : weights) {
                    JniUtils.zeroGrad((PtNDArray) w);
                }
                long t2 = System.nanoTime();
                separate[r] = t1 - t0;
                packed[r] = t2 - t1;
            }
            print("adam, six arrays one at a time", separate);
            print("adam, one flat array (join + update + six zeroings)", packed);

            NDArray normal = m.randomNormal(new Shape(total));
            NDArray denormal = normal.mul(1e-40f);
            long[] onNormal = new long[reps];
            long[] onDenormal = new long[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                normal.muli(0.9999999f);
                long t1 = System.nanoTime();
                denormal.muli(0.9999999f);
                long t2 = System.nanoTime();
                onNormal[r] = t1 - t0;
                onDenormal[r] = t2 - t1;
            }
            print("scale " + total + " normal floats", onNormal);
            print("scale " + total + " denormal floats", onDenormal);
        }
    }

    private static void print(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "%-55s p50 %7.1f us%n", what, sorted[sorted.length / 2] / 1e3);
    }
}
