package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Operators that move data without computing on it. Their shape arguments are read back to Java: PyTorch needs
 * static shapes, and transformer exports compute them at run time (Shape, Gather, Concat, Reshape).
 */
final class ShapeOps {

    private ShapeOps() {
    }

    static void register(Map<String, Operator> r) {
        r.put("Flatten", ShapeOps::flatten);
        r.put("Reshape", ShapeOps::reshape);
        r.put("Transpose", ShapeOps::transpose);
        r.put("Squeeze", ShapeOps::squeeze);
        r.put("Unsqueeze", ShapeOps::unsqueeze);
        r.put("Concat", ShapeOps::concat);
        r.put("Split", ShapeOps::split);
        r.put("Slice", ShapeOps::slice);
        r.put("Gather", ShapeOps::gather);
        r.put("Shape", ShapeOps::shape);
        r.put("Expand", ShapeOps::expand);
    }

    private static long[] dims(NDArray x) {
        return x.getShape().getShape();
    }

    private static NDList flatten(OpCall c) {
        NDArray x = c.in(0);
        long[] d = dims(x);
        long axis = c.attrInt("axis", 1);
        int a = (int) (axis < 0 ? axis + d.length : axis);
        return new NDList(x.reshape(Axes.product(d, 0, a), Axes.product(d, a, d.length)));
    }

    private static NDList reshape(OpCall c) {
        NDArray x = c.in(0);
        long[] target = c.opset() < 5 ? c.attrInts("shape") : c.longs(1);
        boolean allowZero = c.attrInt("allowzero", 0) != 0;
        long[] d = dims(x);
        long[] out = target.clone();
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0 && !allowZero) {
                out[i] = d[i];
            }
        }
        return new NDList(x.reshape(out));
    }

    private static NDList transpose(OpCall c) {
        NDArray x = c.in(0);
        long[] perm = c.attrInts("perm");
        int rank = x.getShape().dimension();
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = perm == null || perm.length == 0 ? rank - 1 - i : (int) perm[i];
        }
        return new NDList(x.transpose(p));
    }

    /** Axes are an attribute before opset 13 and an optional input from 13 on. */
    private static long[] axesArg(OpCall c, int inputIndex, long since) {
        if (c.opset() < since) {
            return c.attrInts("axes");
        }
        return c.has(inputIndex) ? c.longs(inputIndex) : null;
    }

    private static NDList squeeze(OpCall c) {
        NDArray x = c.in(0);
        long[] d = dims(x);
        long[] axes = axesArg(c, 1, 13);
        boolean[] drop = new boolean[d.length];
        if (axes == null || axes.length == 0) {
            for (int i = 0; i < d.length; i++) {
                drop[i] = d[i] == 1;
            }
        } else {
            for (int a : Axes.normalize(axes, d.length)) {
                drop[a] = true;
            }
        }
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < d.length; i++) {
            if (!drop[i]) {
                out.add(d[i]);
            }
        }
        return new NDList(x.reshape(new Shape(out.stream().mapToLong(Long::longValue).toArray())));
    }

    private static NDList unsqueeze(OpCall c) {
        NDArray x = c.in(0);
        long[] d = dims(x);
        long[] axes = axesArg(c, 1, 13);
        int rank = d.length + axes.length;
        boolean[] added = new boolean[rank];
        for (int a : Axes.normalize(axes, rank)) {
            added[a] = true;
        }
        long[] out = new long[rank];
        int j = 0;
        for (int i = 0; i < rank; i++) {
            out[i] = added[i] ? 1 : d[j++];
        }
        return new NDList(x.reshape(out));
    }

    private static NDList concat(OpCall c) {
        NDList parts = new NDList();
        for (int i = 0; i < c.inputCount(); i++) {
            parts.add(c.in(i));
        }
        int axis = Axes.normalize(c.attrInt("axis", 0), parts.head().getShape().dimension());
        if (parts.size() == 1) {
            return new NDList(parts.head());
        }
        return new NDList(NDArrays.concat(parts, axis));
    }

    /** Sizes: attribute before opset 13, input after; otherwise an even split over the outputs. */
    private static NDList split(OpCall c) {
        NDArray x = c.in(0);
        long[] d = dims(x);
        int axis = Axes.normalize(c.attrInt("axis", 0), d.length);
        long[] sizes = c.opset() < 13 ? c.attrInts("split") : (c.has(1) ? c.longs(1) : null);
        int parts = c.outputCount();
        if (sizes == null || sizes.length == 0) {
            long n = c.node().has("num_outputs") ? c.attrInt("num_outputs", parts) : parts;
            long each = (d[axis] + n - 1) / n;
            sizes = new long[(int) n];
            for (int i = 0; i < n; i++) {
                sizes[i] = Math.min(each, d[axis] - each * i);
            }
        }
        NDList out = new NDList();
        long start = 0;
        for (long size : sizes) {
            out.add(x.get(NDIndex.sliceAxis(axis, start, start + size)));
            start += size;
        }
        return out;
    }

    /** starts/ends/axes are attributes before opset 10 (no steps), inputs after. */
    private static NDList slice(OpCall c) {
        NDArray x = c.in(0);
        long[] d = dims(x);
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (c.opset() < 10) {
            starts = c.attrInts("starts");
            ends = c.attrInts("ends");
            axes = c.attrInts("axes");
        } else {
            starts = c.longs(1);
            ends = c.longs(2);
            axes = c.has(3) ? c.longs(3) : null;
            steps = c.has(4) ? c.longs(4) : null;
        }
        long[] start = new long[d.length];
        long[] end = d.clone();
        long[] step = new long[d.length];
        Arrays.fill(step, 1);
        for (int i = 0; i < starts.length; i++) {
            int a = axes == null || axes.length == 0 ? i : Axes.normalize(axes[i], d.length);
            long s = steps == null ? 1 : steps[i];
            if (s == 0) {
                throw c.unsupported("Slice step 0");
            }
            step[a] = s;
            long dim = d[a];
            long st = starts[i] < 0 ? starts[i] + dim : starts[i];
            long en = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (s > 0) {
                start[a] = clamp(st, 0, dim);
                end[a] = clamp(en, 0, dim);
            } else {
                start[a] = clamp(st, 0, dim - 1);
                end[a] = clamp(en, -1, dim - 1);
            }
        }
        NDArray y = x;
        boolean positive = Arrays.stream(step).allMatch(s -> s > 0);
        if (positive) {
            NDIndex index = new NDIndex();
            for (int a = 0; a < d.length; a++) {
                index.addSliceDim(start[a], Math.max(start[a], end[a]), step[a]);
            }
            return new NDList(d.length == 0 ? x : x.get(index));
        }
        for (int a = 0; a < d.length; a++) {
            if (step[a] == 1 && start[a] == 0 && end[a] == d[a]) {
                continue;
            }
            List<Long> idx = new ArrayList<>();
            for (long i = start[a]; step[a] > 0 ? i < end[a] : i > end[a]; i += step[a]) {
                idx.add(i);
            }
            y = Axes.select(y, a, idx.stream().mapToLong(Long::longValue).toArray(), c.manager());
        }
        return new NDList(y);
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static NDList gather(OpCall c) {
        NDArray data = c.in(0);
        NDArray idx = c.in(1);
        int axis = Axes.normalize(c.attrInt("axis", 0), data.getShape().dimension());
        if (idx.getDataType() != DataType.INT64) {
            idx = idx.toType(DataType.INT64, false);
        }
        // PyTorch indexing accepts negative positions the way ONNX defines them (counted from the end).
        return new NDList(data.get(new NDIndex(":,".repeat(axis) + "{}", idx)));
    }

    private static NDList shape(OpCall c) {
        long[] d = dims(c.in(0));
        int rank = d.length;
        int start = 0;
        int end = rank;
        if (c.node().has("start")) {
            long s = c.attrInt("start", 0);
            start = (int) clamp(s < 0 ? s + rank : s, 0, rank);
        }
        if (c.node().has("end")) {
            long e = c.attrInt("end", rank);
            end = (int) clamp(e < 0 ? e + rank : e, 0, rank);
        }
        long[] out = Arrays.copyOfRange(d, start, Math.max(start, end));
        return new NDList(c.manager().create(out).toDevice(c.in(0).getDevice(), false));
    }

    /** Bidirectional broadcast: the target may be smaller than the input along an axis (then the input wins). */
    private static NDList expand(OpCall c) {
        NDArray x = c.in(0);
        long[] target = c.longs(1);
        long[] d = dims(x);
        int rank = Math.max(d.length, target.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long a = i - (rank - d.length) >= 0 ? d[i - (rank - d.length)] : 1;
            long b = i - (rank - target.length) >= 0 ? target[i - (rank - target.length)] : 1;
            out[i] = a == 1 ? b : a;
        }
        // No duplicate(): in DJL's PyTorch engine it detaches, and the gradient must flow through Expand (ldr's
        // structured weights are built with it). No operator here writes into its inputs, so the view is safe.
        return new NDList(x.broadcast(new Shape(out)));
    }
}
