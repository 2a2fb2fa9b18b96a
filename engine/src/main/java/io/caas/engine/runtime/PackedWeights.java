package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A block's small learnable weights stored back to back in one flat array, each weight a view of its span.
 *
 * <p>Why: an optimizer step is about a dozen libtorch kernel launches per array it updates, and for the small tensors
 * of a small model (biases, 3×3 kernels, a classifier head) the launches, not the arithmetic, are the step. Weights
 * that are neighbours here can be updated through one view of their joint span, one set of launches for all of them
 * (see {@code TrainableParameters}). Large weights are left as separate arrays: their launches are a small share of
 * their arithmetic, and a span over them would make the optimizer copy their gradients into one array every step.
 */
public final class PackedWeights {

    /** Weights up to this many elements are packed. */
    public static final long SMALL = 1 << 16;

    private static final PackedWeights NONE = new PackedWeights(null, Map.of(), new long[] {0});

    private final NDArray flat;
    private final Map<String, Integer> index;
    private final long[] offsets;

    private PackedWeights(NDArray flat, Map<String, Integer> index, long[] offsets) {
        this.flat = flat;
        this.index = index;
        this.offsets = offsets;
    }

    /**
     * Packs the small float32 arrays of {@code learnable}, in its order, replacing each packed entry's array by its
     * view (with the same name) and closing the original. Fewer than two such arrays pack nothing.
     */
    static PackedWeights pack(Map<String, NDArray> learnable, NDManager manager) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : learnable.entrySet()) {
            NDArray a = e.getValue();
            if (a.getDataType() == DataType.FLOAT32 && a.size() <= SMALL && a.getDevice().equals(manager.getDevice())) {
                names.add(e.getKey());
            }
        }
        if (names.size() < 2) {
            return NONE;
        }
        long[] offsets = new long[names.size() + 1];
        Map<String, Integer> index = new HashMap<>();
        NDArray flat;
        try (NDManager scratch = manager.newSubManager()) {
            NDList pieces = new NDList();
            for (int i = 0; i < names.size(); i++) {
                NDArray a = learnable.get(names.get(i));
                pieces.add(a.reshape(-1));
                offsets[i + 1] = offsets[i] + a.size();
                index.put(names.get(i), i);
            }
            pieces.attach(scratch);
            flat = NDArrays.concat(pieces);
            flat.attach(manager);
        }
        for (int i = 0; i < names.size(); i++) {
            NDArray original = learnable.get(names.get(i));
            NDArray view;
            try (NDArray span = flat.get(new NDIndex().addSliceDim(offsets[i], offsets[i + 1]))) {
                view = span.reshape(original.getShape());
            }
            view.setName(original.getName());
            learnable.put(names.get(i), view);
            original.close();
        }
        return new PackedWeights(flat, Collections.unmodifiableMap(index), offsets);
    }

    /** The weight's place in the packing order, empty when it is not packed. */
    public OptionalInt indexOf(String name) {
        Integer i = index.get(name);
        return i == null ? OptionalInt.empty() : OptionalInt.of(i);
    }

    /**
     * A one-dimensional view over the packed weights {@code from} (inclusive) to {@code to} (exclusive), in packing
     * order: writing to it writes to those weights. The caller owns (closes) the view.
     */
    public NDArray span(int from, int to) {
        if (flat == null || from < 0 || to > offsets.length - 1 || from >= to) {
            throw new IndexOutOfBoundsException("no packed weights " + from + ".." + to + " of " + (offsets.length - 1));
        }
        return flat.get(new NDIndex().addSliceDim(offsets[from], offsets[to]));
    }
}
