package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Sliding-window geometry shared by Conv and the pools: ONNX gives begin and end padding per spatial axis (or
 * auto_pad), PyTorch only symmetric padding, so uneven padding is applied to the input first.
 *
 * @param pads begin pads of every spatial axis, then end pads (ONNX order)
 */
record Windows(long[] kernel, long[] strides, long[] dilations, long[] pads) {

    static Windows of(OpCall c, long[] spatialIn, long[] kernelFromWeights) {
        int r = spatialIn.length;
        long[] kernel = c.attrInts("kernel_shape");
        if (kernel == null) {
            kernel = kernelFromWeights;
        }
        long[] strides = orOnes(c.attrInts("strides"), r);
        long[] dilations = orOnes(c.attrInts("dilations"), r);
        String autoPad = c.attrString("auto_pad", "NOTSET");
        long[] pads = c.attrInts("pads");
        if (pads == null || pads.length == 0) {
            pads = new long[2 * r];
        }
        if (autoPad.equals("VALID")) {
            pads = new long[2 * r];
        } else if (autoPad.startsWith("SAME")) {
            pads = new long[2 * r];
            for (int i = 0; i < r; i++) {
                long out = (spatialIn[i] + strides[i] - 1) / strides[i];
                long total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatialIn[i]);
                long small = total / 2;
                boolean upper = autoPad.equals("SAME_UPPER");
                pads[i] = upper ? small : total - small;
                pads[i + r] = upper ? total - small : small;
            }
        }
        return new Windows(kernel, strides, dilations, pads);
    }

    private static long[] orOnes(long[] v, int r) {
        if (v != null && v.length > 0) {
            return v;
        }
        long[] ones = new long[r];
        java.util.Arrays.fill(ones, 1);
        return ones;
    }

    int rank() {
        return kernel.length;
    }

    boolean dilated() {
        return anyNot(dilations, 1);
    }

    boolean padded() {
        return anyNot(pads, 0);
    }

    private static boolean anyNot(long[] values, long value) {
        for (long v : values) {
            if (v != value) {
                return true;
            }
        }
        return false;
    }

    boolean symmetric() {
        for (int i = 0; i < rank(); i++) {
            if (pads[i] != pads[i + rank()]) {
                return false;
            }
        }
        return true;
    }

    Shape beginPads() {
        return new Shape(java.util.Arrays.copyOf(pads, rank()));
    }

    Shape zeros() {
        return new Shape(new long[rank()]);
    }

    /** Pads the spatial axes of x by the ONNX pads with a constant (PyTorch order: last axis first). */
    NDArray padInput(NDArray x, double value) {
        int r = rank();
        long[] torch = new long[2 * r];
        for (int i = 0; i < r; i++) {
            int axis = r - 1 - i;
            torch[2 * i] = pads[axis];
            torch[2 * i + 1] = pads[axis + r];
        }
        return x.pad(new Shape(torch), value);
    }

    /** Crops x's spatial axes by begin/end amounts (used for negative-free trims after a transposed conv). */
    static NDArray crop(NDArray x, long[] begin, long[] end) {
        int r = begin.length;
        NDIndex index = new NDIndex().addAllDim().addAllDim();
        long[] dims = x.getShape().getShape();
        for (int i = 0; i < r; i++) {
            index.addSliceDim(begin[i], dims[i + 2] - end[i]);
        }
        return x.get(index);
    }
}
