package io.caas.engine.data;

import java.util.Arrays;

/** Builds a {@link Dataset} from feature and label arrays, checking what every format must satisfy. */
final class Datasets {

    private Datasets() {
    }

    /**
     * @param sampleShape shape of one sample; null to take the features' shape without its first dimension
     */
    static Dataset of(String name, NumericArray x, NumericArray y, long[] sampleShape) {
        if (x.shape().length == 0 || x.shape()[0] == 0) {
            throw new DatasetFormatException("features '" + x.name() + "' hold no samples (shape "
                    + Arrays.toString(x.shape()) + ")");
        }
        long n = x.shape()[0];
        long[] shape = sampleShape != null ? sampleShape
                : x.shape().length == 1 ? new long[] {1} : Arrays.copyOfRange(x.shape(), 1, x.shape().length);
        float[] features = x.values();
        if (x.unsignedBytes()) {
            // Pixels: the [0, 1] scaling most image models are trained with.
            for (int i = 0; i < features.length; i++) {
                features[i] /= 255f;
            }
        }
        int[] labels = null;
        int classes = 0;
        if (y != null) {
            labels = labels(y, n);
            classes = Arrays.stream(labels).max().orElse(-1) + 1;
        }
        try {
            return new Dataset(name, shape, features, labels, classes);
        } catch (IllegalArgumentException e) {
            throw new DatasetFormatException(e.getMessage(), e);
        }
    }

    static int[] labels(NumericArray y, long samples) {
        if (y.shape().length != 1 && !(y.shape().length == 2 && y.shape()[1] == 1)) {
            throw new DatasetFormatException("labels '" + y.name() + "' must be one class index per sample, shape "
                    + Arrays.toString(y.shape()));
        }
        if (y.shape()[0] != samples) {
            throw new DatasetFormatException(y.shape()[0] + " labels for " + samples + " samples");
        }
        float[] v = y.values();
        int[] labels = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            float f = v[i];
            if (f < 0 || f != Math.rint(f) || f > 1_000_000) {
                throw new DatasetFormatException("label " + i + " is " + f + "; labels must be class indices 0, 1, 2...");
            }
            labels[i] = (int) f;
        }
        return labels;
    }
}
