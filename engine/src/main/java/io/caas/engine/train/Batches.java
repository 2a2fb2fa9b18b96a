package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.data.Dataset;

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
