package io.caas.engine.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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

    /**
     * A dataset for a model with several inputs: one array per input (keyed by input name, each with the same
     * number of samples), interleaved so that each sample holds its inputs' values one after the other.
     */
    static Dataset ofInputs(String name, Map<String, NumericArray> arrays, NumericArray y) {
        List<DatasetInput> inputs = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        long n = -1;
        for (Map.Entry<String, NumericArray> e : arrays.entrySet()) {
            NumericArray x = e.getValue();
            if (x.shape().length == 0 || x.shape()[0] == 0) {
                throw new DatasetFormatException("input array '" + e.getKey() + "' holds no samples (shape "
                        + Arrays.toString(x.shape()) + ")");
            }
            if (n >= 0 && x.shape()[0] != n) {
                throw new DatasetFormatException("input array '" + e.getKey() + "' has " + x.shape()[0]
                        + " samples but '" + inputs.get(0).name() + "' has " + n);
            }
            n = x.shape()[0];
            long[] shape = x.shape().length == 1 ? new long[] {1} : Arrays.copyOfRange(x.shape(), 1, x.shape().length);
            float[] v = x.values();
            if (x.unsignedBytes()) {
                for (int i = 0; i < v.length; i++) {
                    v[i] /= 255f;
                }
            }
            inputs.add(new DatasetInput(e.getKey(), shape));
            values.add(v);
        }
        int total = inputs.stream().mapToInt(DatasetInput::elements).sum();
        float[] features = new float[Math.multiplyExact(Math.toIntExact(n), total)];
        for (int s = 0; s < n; s++) {
            int at = s * total;
            for (int i = 0; i < inputs.size(); i++) {
                int per = inputs.get(i).elements();
                System.arraycopy(values.get(i), s * per, features, at, per);
                at += per;
            }
        }
        int[] labels = y == null ? null : labels(y, n);
        int classes = labels == null ? 0 : Arrays.stream(labels).max().orElse(-1) + 1;
        try {
            return new Dataset(name, new long[] {total}, features, labels, classes, inputs);
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
