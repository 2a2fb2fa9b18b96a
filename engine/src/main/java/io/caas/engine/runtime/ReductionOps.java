package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The Reduce* family. Each reduces over {@code axes} (all when none are given, none when
 * {@code noop_with_empty_axes} says so), keeping the reduced axes as size 1 unless {@code keepdims} is 0.
 */
final class ReductionOps {

    private ReductionOps() {
    }

    /** How an operator reduces one set of axes (always kept, the caller drops them). */
    private interface Reduction extends BiFunction<NDArray, int[], NDArray> {
    }

    static void register(Map<String, Operator> r) {
        r.put("ReduceSum", c -> reduce(c, 13, (x, a) -> x.sum(a, true)));
        r.put("ReduceMean", c -> reduce(c, 18, ReductionOps::mean));
        r.put("ReduceMax", c -> reduce(c, 18, (x, a) -> eachAxis(x, a, (y, axis) -> y.max(new int[] {axis}, true))));
        r.put("ReduceMin", c -> reduce(c, 18, (x, a) -> eachAxis(x, a, (y, axis) -> y.min(new int[] {axis}, true))));
        r.put("ReduceProd", c -> reduce(c, 18, (x, a) -> eachAxis(x, a, (y, axis) -> y.prod(new int[] {axis}, true))));
        r.put("ReduceL1", c -> reduce(c, 18, (x, a) -> x.abs().sum(a, true)));
        r.put("ReduceL2", c -> reduce(c, 18, (x, a) -> floating(x, f -> f.square().sum(a, true).sqrt())));
        r.put("ReduceSumSquare", c -> reduce(c, 18, (x, a) -> x.square().sum(a, true)));
        r.put("ReduceLogSum", c -> reduce(c, 18, (x, a) -> floating(x, f -> f.sum(a, true).log())));
        r.put("ReduceLogSumExp", c -> reduce(c, 18, (x, a) -> floating(x, f -> logSumExp(f, a))));
    }

    /** @param axesInputSince the opset from which the axes are the second input rather than an attribute */
    private static NDList reduce(OpCall c, long axesInputSince, Reduction reduction) {
        NDArray x = c.in(0);
        int rank = x.getShape().dimension();
        long[] axes = c.opset() < axesInputSince ? c.attrInts("axes") : (c.has(1) ? c.longs(1) : null);
        boolean keep = c.attrInt("keepdims", 1) != 0;
        if (axes == null || axes.length == 0) {
            if (c.attrInt("noop_with_empty_axes", 0) != 0) {
                return new NDList(x);
            }
            axes = Arrays.stream(Axes.all(rank)).asLongStream().toArray();
        }
        int[] a = Axes.normalize(axes, rank);
        if (a.length == 0) {
            return new NDList(x);
        }
        NDArray y = reduction.apply(x, a);
        return new NDList(keep ? y : y.squeeze(a));
    }

    /** An integer mean is the truncated mean of the same type, as ONNX Runtime computes it. */
    private static NDArray mean(NDArray x, int[] axes) {
        boolean integer = x.getDataType().isInteger();
        NDArray y = Axes.mean(integer ? x.toType(DataType.FLOAT64, false) : x, axes, true);
        return integer ? y.toType(x.getDataType(), false) : y;
    }

    /** DJL's PyTorch max, min and prod take one axis at a time; reduced in turn, each kept, they compose. */
    private static NDArray eachAxis(NDArray x, int[] axes, BiFunction<NDArray, Integer, NDArray> one) {
        NDArray y = x;
        for (int axis : axes) {
            y = one.apply(y, axis);
        }
        return y;
    }

    /** A float result computed in float, then given the input's type back (ONNX keeps the type). */
    private static NDArray floating(NDArray x, java.util.function.UnaryOperator<NDArray> f) {
        if (!x.getDataType().isInteger()) {
            return f.apply(x);
        }
        return f.apply(x.toType(DataType.FLOAT64, false)).toType(x.getDataType(), false);
    }

    /** log(sum(exp(x))) shifted by the maximum, so large inputs do not overflow. */
    private static NDArray logSumExp(NDArray x, int[] axes) {
        NDArray max = eachAxis(x, axes, (y, axis) -> y.max(new int[] {axis}, true)).stopGradient();
        return x.sub(max).exp().sum(axes, true).log().add(max);
    }
}
