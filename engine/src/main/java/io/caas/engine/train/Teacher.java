package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.data.Dataset;
import io.caas.engine.runtime.InterpretedModel;
import java.util.Arrays;

/**
 * The model a student is distilled from: its first output for a batch, computed without autograd, and kept per
 * sample after its first computation when the whole dataset's outputs fit {@link #CACHE_LIMIT_FLOATS}, so that later
 * epochs (and later fine-tuning runs with the same teacher, as oialr makes one per re-orthogonalisation) read them
 * instead of running the teacher again.
 *
 * <p>Why a sample's output can be kept: fine-tuning feeds a sample the same inputs every epoch (its features, or its
 * token ids with the mask and types derived from them; there is no augmentation), and the teacher runs in inference
 * mode, where a sample's output does not depend on the others in its batch. Not kept: outputs whose first dimension
 * is not the batch, and datasets whose outputs would take more than the limit.
 */
public final class Teacher {

    /** 64 Mi floats, 256 MiB of heap: all-MiniLM-L6-v2's per-token outputs for 2,730 sequences of 64 tokens. */
    static final long CACHE_LIMIT_FLOATS = 64L << 20;

    private final InterpretedModel model;
    private final long cacheLimitFloats;
    private float[][] bySample;
    private long[] sampleShape;
    private boolean cacheable = true;
    private Dataset dataset;
    private long forwardPasses;

    /** The model stays the caller's to close. */
    public Teacher(InterpretedModel model) {
        this(model, CACHE_LIMIT_FLOATS);
    }

    Teacher(InterpretedModel model, long cacheLimitFloats) {
        this.model = model;
        this.cacheLimitFloats = cacheLimitFloats;
    }

    /**
     * The teacher's first output for the samples {@code order[from..to)} of {@code data}, whose inputs are
     * {@code inputs}; on the inputs' manager and device, not on any autograd tape. Outputs are kept for one dataset:
     * another one starts afresh.
     */
    NDArray outputs(NDList inputs, Dataset data, int[] order, int from, int to) {
        if (data != dataset) {
            dataset = data;
            bySample = null;
            cacheable = true;
        }
        NDManager manager = inputs.head().getManager();
        if (bySample != null && allCached(order, from, to)) {
            int n = to - from;
            int per = bySample[order[from]].length;
            float[] joined = new float[n * per];
            for (int i = 0; i < n; i++) {
                System.arraycopy(bySample[order[from + i]], 0, joined, i * per, per);
            }
            long[] shape = new long[sampleShape.length + 1];
            shape[0] = n;
            System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
            return manager.create(joined, new Shape(shape)).toDevice(inputs.head().getDevice(), false);
        }
        // InterpretedModel.forward records no autograd graph: the teacher's outputs are targets, not part of the loss's
        NDArray out = model.forward(inputs).head();
        forwardPasses++;
        out = out.toDevice(inputs.head().getDevice(), false);
        keep(out, order, from, to, data.size());
        return out;
    }

    /** How many times the teacher model has run. */
    long forwardPasses() {
        return forwardPasses;
    }

    private boolean allCached(int[] order, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bySample[order[i]] == null) {
                return false;
            }
        }
        return true;
    }

    private void keep(NDArray out, int[] order, int from, int to, int datasetSize) {
        if (!cacheable) {
            return;
        }
        long[] shape = out.getShape().getShape();
        long per = shape.length == 0 ? 0 : out.size() / Math.max(1, shape[0]);
        if (shape.length == 0 || shape[0] != to - from || out.getDataType() != DataType.FLOAT32
                || per * datasetSize > cacheLimitFloats) {
            cacheable = false;
            bySample = null;
            return;
        }
        long[] sample = Arrays.copyOfRange(shape, 1, shape.length);
        if (bySample == null) {
            bySample = new float[datasetSize][];
            sampleShape = sample;
        } else if (!Arrays.equals(sample, sampleShape)) {
            cacheable = false;
            bySample = null;
            return;
        }
        float[] all = out.toFloatArray();
        for (int i = from; i < to; i++) {
            bySample[order[i]] = Arrays.copyOfRange(all, (int) ((i - from) * per), (int) ((i - from + 1) * per));
        }
    }
}
