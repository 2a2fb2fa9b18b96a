package io.caas.engine.data;

import java.util.Arrays;
import java.util.List;

/**
 * Samples for fine-tuning or evaluation, held in memory as one flat float array (row-major, sample after sample).
 * Fashion-MNIST's 60,000 training images are 188 MB this way, well inside a worker's heap. A dataset for a model
 * with several inputs holds each sample as its inputs' values one after the other, so that slicing, shuffling and
 * batching work on whole samples alike; {@code inputs} says how a sample splits.
 *
 * @param sampleShape shape of one sample, without the batch dimension (e.g. [1, 28, 28])
 * @param labels      class index per sample, or null when the dataset has no labels (distillation then)
 * @param classes     number of classes, 0 without labels
 * @param inputs      for a model with several inputs: the part of each sample that feeds each of them, in order
 *                    (sampleShape is then their total, flat); empty for a single-input dataset
 */
public record Dataset(String name, long[] sampleShape, float[] features, int[] labels, int classes,
                      List<DatasetInput> inputs) {

    public Dataset(String name, long[] sampleShape, float[] features, int[] labels, int classes) {
        this(name, sampleShape, features, labels, classes, List.of());
    }

    public Dataset {
        inputs = List.copyOf(inputs);
        if (!inputs.isEmpty()) {
            long total = inputs.stream().mapToLong(DatasetInput::elements).sum();
            if (sampleShape.length != 1 || sampleShape[0] != total) {
                throw new IllegalArgumentException("samples of shape " + Arrays.toString(sampleShape)
                        + " do not hold the inputs " + inputs + " (" + total + " values)");
            }
        }
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

    public boolean multiInput() {
        return !inputs.isEmpty();
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
