package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Element-wise closeness in the ONNX test runner's sense: |actual - expected| <= atol + rtol * |expected|. */
final class Comparison {

    private Comparison() {
    }

    static double[] values(NDArray a) {
        if (a.getDataType() == DataType.BOOLEAN) {
            return a.toType(DataType.INT32, false).toType(DataType.FLOAT64, false).toDoubleArray();
        }
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** Null when close, otherwise a one-line description of the first difference. */
    static String mismatch(NDArray actual, NDArray expected, double rtol, double atol) {
        if (actual.getDataType() != expected.getDataType()) {
            return "type " + actual.getDataType() + ", expected " + expected.getDataType();
        }
        if (!actual.getShape().equals(expected.getShape())) {
            return "shape " + actual.getShape() + ", expected " + expected.getShape();
        }
        double[] a = values(actual);
        double[] e = values(expected);
        int bad = 0;
        int first = -1;
        for (int i = 0; i < a.length; i++) {
            boolean ok = (Double.isNaN(a[i]) && Double.isNaN(e[i])) || a[i] == e[i]
                    || Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
            if (!ok) {
                bad++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        return bad == 0 ? null : bad + "/" + a.length + " values differ (first at " + first + ": " + a[first]
                + " vs " + e[first] + ")";
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }
}
