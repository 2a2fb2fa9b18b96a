package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.caas.engine.data.Dataset;
import io.caas.engine.runtime.InterpretedModel;

/**
 * The first samples of a dataset as a model's inputs, built the way fine-tuning builds its batches (one array per
 * input of a multi-input dataset, or token ids with their derived mask), for code that runs a model on data
 * outside a training loop.
 */
public final class SampleInputs {

    private SampleInputs() {
    }

    /** Samples [0, min(count, size)) as the model's inputs, in graph-input order, on {@code m}. */
    public static NDList first(InterpretedModel model, Dataset data, int count, NDManager m) {
        int to = Math.min(count, data.size());
        return of(model, data, Batches.identity(to), 0, to, m);
    }

    /** Samples order[from], ..., order[to − 1] as the model's inputs, in graph-input order, on {@code m}. */
    public static NDList of(InterpretedModel model, Dataset data, int[] order, int from, int to, NDManager m) {
        if (data.multiInput()) {
            return Batches.inputs(m, data, model.inputNames(), order, from, to);
        }
        NDArray x = Batches.features(m, data, order, from, to);
        return model.inputNames().size() == 1 ? new NDList(x) : TokenInputs.of(model.block().graph()).inputs(x);
    }
}
