package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/** Axis and index arithmetic shared by the operators. */
final class Axes {

    private Axes() {
    }

    static int normalize(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
        }
        return (int) a;
    }

    static int[] normalize(long[] axes, int rank) {
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            out[i] = normalize(axes[i], rank);
        }
        return out;
    }

    static int[] all(int rank) {
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = i;
        }
        return out;
    }

    static long product(long[] dims, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    /** DJL's PyTorch mean reduces one axis at a time only; a sum divided by the count has no such limit. */
    static NDArray mean(NDArray x, int[] axes, boolean keepDims) {
        long count = 1;
        for (int a : axes) {
            count *= x.getShape().get(a);
        }
        return x.sum(axes, keepDims).div(count);
    }

    /**
     * Picks positions {@code index} along {@code axis} (PyTorch advanced indexing, which keeps autograd).
     * Resize, Pad and Slice with negative steps are all expressed as such index lists.
     */
    static NDArray select(NDArray x, int axis, long[] index, NDManager manager) {
        NDArray idx = manager.create(index, new Shape(index.length)).toDevice(x.getDevice(), false);
        return x.get(new NDIndex(":,".repeat(axis) + "{}", idx));
    }
}
