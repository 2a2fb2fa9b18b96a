package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetInput;
import java.util.List;

/** Cuts a dataset into model-shaped batches. */
final class Batches {

    private Batches() {
    }

    static NDArray features(NDManager m, Dataset data, int[] order, int from, int to) {
        int per = data.sampleElements();
        float[] x = new float[(to - from) * per];
        for (int i = from; i < to; i++) {
            System.arraycopy(data.features(), order[i] * per, x, (i - from) * per, per);
        }
        long[] shape = new long[data.sampleShape().length + 1];
        shape[0] = to - from;
        System.arraycopy(data.sampleShape(), 0, shape, 1, data.sampleShape().length);
        return m.create(x, new Shape(shape));
    }

    /**
     * A batch of a dataset with several inputs, one array per model input in the model's order, each cut from its
     * part of the samples.
     */
    static NDList inputs(NDManager m, Dataset data, List<String> modelInputs, int[] order, int from, int to) {
        int per = data.sampleElements();
        NDList out = new NDList();
        for (String name : modelInputs) {
            int offset = 0;
            DatasetInput part = null;
            for (DatasetInput p : data.inputs()) {
                if (p.name().equals(name)) {
                    part = p;
                    break;
                }
                offset += p.elements();
            }
            if (part == null) {
                throw new IllegalArgumentException("dataset '" + data.name() + "' has no array for model input '"
                        + name + "'; it holds " + data.inputs());
            }
            int n = part.elements();
            float[] x = new float[(to - from) * n];
            for (int i = from; i < to; i++) {
                System.arraycopy(data.features(), order[i] * per + offset, x, (i - from) * n, n);
            }
            long[] shape = new long[part.sampleShape().length + 1];
            shape[0] = to - from;
            System.arraycopy(part.sampleShape(), 0, shape, 1, part.sampleShape().length);
            out.add(m.create(x, new Shape(shape)));
        }
        return out;
    }

    static NDArray labels(NDManager m, Dataset data, int[] order, int from, int to) {
        long[] y = new long[to - from];
        for (int i = from; i < to; i++) {
            y[i - from] = data.labels()[order[i]];
        }
        return m.create(y);
    }

    static int[] identity(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        return o;
    }
}
