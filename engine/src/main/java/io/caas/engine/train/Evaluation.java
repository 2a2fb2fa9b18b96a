package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.caas.engine.data.Dataset;
import io.caas.engine.runtime.InterpretedModel;

/** Top-1 accuracy of a classifier's first output over a labelled dataset. */
public final class Evaluation {

    private Evaluation() {
    }

    public static double accuracy(InterpretedModel model, Dataset data, int batchSize) {
        if (!data.labelled()) {
            throw new IllegalArgumentException("accuracy needs labels; the dataset '" + data.name() + "' has none");
        }
        int[] order = Batches.identity(data.size());
        long correct = 0;
        for (int from = 0; from < data.size(); from += batchSize) {
            int to = Math.min(data.size(), from + batchSize);
            try (NDManager m = model.manager().newSubManager()) {
                NDList inputs = data.multiInput() ? Batches.inputs(m, data, model.inputNames(), order, from, to)
                        : new NDList(Batches.features(m, data, order, from, to));
                NDArray out = model.forward(inputs).head();
                long[] predicted = out.argMax(-1).toLongArray();
                for (int i = from; i < to; i++) {
                    if (predicted[i - from] == data.labels()[i]) {
                        correct++;
                    }
                }
            }
        }
        return (double) correct / data.size();
    }
}
