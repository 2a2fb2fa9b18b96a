package io.caas.engine.data;

import java.util.Arrays;

/**
 * Samples for fine-tuning or evaluation, held in memory as one flat float array (row-major, sample after sample).
 * Fashion-MNIST's 60,000 training images are 188 MB this way, well inside a worker's heap.
 *
 * @param sampleShape shape of one sample, without the batch dimension (e.g. [1, 28, 28])
 * @param labels      class index per sample, or null when the dataset has no labels (distillation then)
 * @param classes     number of classes, 0 without labels
 */
public record Dataset(String name, long[] sampleShape, float[] features, int[] labels, int classes) {

    public Dataset {
        long per = sampleSize(sampleShape);
        if (per == 0 || features.length % per != 0) {
            throw new IllegalArgumentException("features do not divide into samples of shape " + Arrays.toString(sampleShape));
        }
        if (labels != null && labels.length != features.length / per) {
            throw new IllegalArgumentException(labels.length + " labels for " + features.length / per + " samples");
        }
    }

    public int size() {
        return (int) (features.length / sampleSize(sampleShape));
    }

    public int sampleElements() {
        return (int) sampleSize(sampleShape);
    }

    public boolean labelled() {
        return labels != null;
    }

    private static long sampleSize(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
