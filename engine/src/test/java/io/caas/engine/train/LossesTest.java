package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.runtime.OnnxInterpreter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LossesTest {

    @Test
    void crossEntropyIsTheMeanNegativeLogLikelihoodOfTheLabels() {
        int n = 5;
        int classes = 7;
        Random rnd = new Random(3);
        float[] logits = new float[n * classes];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) rnd.nextGaussian() * 3;
        }
        long[] labels = {0, 6, 3, 3, 1};
        double expected = 0;
        for (int r = 0; r < n; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[r * classes + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[r * classes + c] - max);
            }
            expected -= logits[r * classes + (int) labels[r]] - max - Math.log(sum);
        }
        expected /= n;
        try (NDManager m = NDManager.newBaseManager(OnnxInterpreter.ENGINE)) {
            NDArray out = m.create(logits, new Shape(n, classes));
            double loss = Losses.crossEntropy(out, false, m.create(labels)).value();
            assertThat(loss).isCloseTo(expected, within(1e-5));
            // The probability form gives the same value from softmax outputs.
            double fromProbabilities = Losses.crossEntropy(out.softmax(-1), true, m.create(labels)).value();
            assertThat(fromProbabilities).isCloseTo(expected, within(1e-4));
        }
    }

    @Test
    void aZeroProbabilityOfAnotherClassDoesNotMakeTheLossNaN() {
        try (NDManager m = NDManager.newBaseManager(OnnxInterpreter.ENGINE)) {
            NDArray logits = m.create(new float[] {2f, Float.NEGATIVE_INFINITY, 0f}, new Shape(1, 3));
            double loss = Losses.crossEntropy(logits, false, m.create(new long[] {0})).value();
            assertThat(loss).isCloseTo(Math.log(1 + Math.exp(-2)), within(1e-6));
        }
    }
}
