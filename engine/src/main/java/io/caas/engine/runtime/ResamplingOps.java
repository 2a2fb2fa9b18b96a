package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * Pad and Resize. Both are written as index lists per axis (PyTorch advanced indexing), which keeps autograd and
 * reproduces every ONNX edge / reflect / rounding / coordinate rule exactly instead of approximating with
 * PyTorch's own interpolate, whose coordinate conventions differ.
 */
final class ResamplingOps {

    private ResamplingOps() {
    }

    static void register(Map<String, Operator> r) {
        r.put("Pad", ResamplingOps::pad);
        r.put("Resize", ResamplingOps::resize);
    }

    /** pads/value are attributes before opset 11, inputs after (plus optional axes from 18). */
    private static NDList pad(OpCall c) {
        NDArray x = c.in(0);
        long[] d = x.getShape().getShape();
        int rank = d.length;
        String mode = c.attrString("mode", "constant");
        long[] pads;
        double value;
        if (c.opset() < 11) {
            pads = c.attrInts(c.opset() < 2 ? "paddings" : "pads");
            value = c.attrFloat("value", 0f);
        } else {
            pads = c.longs(1);
            value = c.has(2) && c.in(2).size() > 0 ? c.doubles(2)[0] : 0;
            if (c.has(3)) {
                long[] axes = c.longs(3);
                long[] full = new long[2 * rank];
                int[] a = Axes.normalize(axes, rank);
                for (int i = 0; i < a.length; i++) {
                    full[a[i]] = pads[i];
                    full[a[i] + rank] = pads[i + a.length];
                }
                pads = full;
            }
        }
        NDArray y = x;
        switch (mode) {
            case "constant" -> {
                // Negative pads crop; positive ones go to PyTorch's constant pad (last axis first).
                NDIndex crop = new NDIndex();
                long[] torch = new long[2 * rank];
                boolean crops = false;
                for (int a = 0; a < rank; a++) {
                    long b = pads[a];
                    long e = pads[a + rank];
                    crop.addSliceDim(Math.max(0, -b), d[a] - Math.max(0, -e));
                    crops |= b < 0 || e < 0;
                    torch[2 * (rank - 1 - a)] = Math.max(0, b);
                    torch[2 * (rank - 1 - a) + 1] = Math.max(0, e);
                }
                if (crops) {
                    y = y.get(crop);
                }
                y = y.pad(new Shape(torch), value);
            }
            case "edge", "reflect" -> {
                for (int a = 0; a < rank; a++) {
                    long b = pads[a];
                    long e = pads[a + rank];
                    if (b == 0 && e == 0) {
                        continue;
                    }
                    long n = d[a] + b + e;
                    long[] idx = new long[(int) n];
                    for (int i = 0; i < n; i++) {
                        long j = i - b;
                        idx[i] = mode.equals("edge") ? Math.max(0, Math.min(d[a] - 1, j)) : reflect(j, d[a]);
                    }
                    y = Axes.select(y, a, idx, c.manager());
                }
            }
            default -> throw c.unsupported("Pad mode '" + mode + "' is not supported");
        }
        return new NDList(y);
    }

    private static long reflect(long j, long n) {
        if (n == 1) {
            return 0;
        }
        long period = 2 * (n - 1);
        long m = Math.floorMod(j, period);
        return m < n ? m : period - m;
    }

    /**
     * Nearest and (separable) linear modes; cubic is refused. The output size comes from sizes, or from
     * floor(input * scale).
     */
    private static NDList resize(OpCall c) {
        NDArray x = c.in(0);
        long[] d = x.getShape().getShape();
        int rank = d.length;
        String mode = c.attrString("mode", "nearest");
        if (!mode.equals("nearest") && !mode.equals("linear")) {
            throw c.unsupported("Resize " + mode + " mode is not supported (nearest and linear only)");
        }
        if (c.attrInt("antialias", 0) != 0 || c.node().has("axes")
                || !c.attrString("keep_aspect_ratio_policy", "stretch").equals("stretch")) {
            throw c.unsupported("Resize antialias, axes and keep_aspect_ratio_policy are not supported");
        }
        double[] scales = null;
        long[] sizes = null;
        String coord;
        String rounding;
        if (c.opset() < 11) {
            scales = c.doubles(1);
            coord = "asymmetric";
            rounding = "floor";
        } else {
            if (c.has(2) && c.in(2).size() > 0) {
                scales = c.doubles(2);
            }
            if (c.has(3) && c.in(3).size() > 0) {
                sizes = c.longs(3);
            }
            coord = c.attrString("coordinate_transformation_mode", "half_pixel");
            rounding = c.attrString("nearest_mode", "round_prefer_floor");
        }
        if (coord.equals("tf_crop_and_resize")) {
            throw c.unsupported("Resize tf_crop_and_resize is not supported");
        }
        NDArray y = x;
        for (int a = 0; a < rank; a++) {
            long in = d[a];
            long out = sizes != null ? sizes[a] : (long) Math.floor(in * scales[a]);
            double scale = sizes != null ? (double) out / in : scales[a];
            if (out == in && scale == 1.0) {
                continue;
            }
            long[] idx = new long[(int) out];
            long[] lo = new long[(int) out];
            long[] hi = new long[(int) out];
            float[] weight = new float[(int) out];
            for (int i = 0; i < out; i++) {
                double src = switch (coord) {
                    case "half_pixel" -> (i + 0.5) / scale - 0.5;
                    case "pytorch_half_pixel" -> out > 1 ? (i + 0.5) / scale - 0.5 : 0;
                    // The reference divides by the unrounded resized length (in * scale) when scales are given.
                    case "align_corners" -> out == 1 ? 0 : i * (in - 1) / ((sizes != null ? out : in * scale) - 1);
                    case "asymmetric" -> i / scale;
                    case "tf_half_pixel_for_nn" -> (i + 0.5) / scale;
                    default -> throw c.unsupported("Resize coordinate_transformation_mode '" + coord + "'");
                };
                if (mode.equals("linear")) {
                    src = Math.max(0, Math.min(in - 1, src));
                    lo[i] = (long) Math.floor(src);
                    hi[i] = Math.min(in - 1, lo[i] + 1);
                    weight[i] = (float) (src - lo[i]);
                    continue;
                }
                long j = switch (rounding) {
                    case "round_prefer_floor" -> src == Math.floor(src) + 0.5 ? (long) Math.floor(src) : Math.round(src);
                    case "round_prefer_ceil" -> src == Math.floor(src) + 0.5 ? (long) Math.ceil(src) : Math.round(src);
                    case "floor" -> (long) Math.floor(src);
                    case "ceil" -> (long) Math.ceil(src);
                    default -> throw c.unsupported("Resize nearest_mode '" + rounding + "'");
                };
                idx[i] = Math.max(0, Math.min(in - 1, j));
            }
            if (mode.equals("linear")) {
                // Separable: each axis blends its two neighbouring rows, the weight broadcast along that axis.
                long[] wshape = new long[rank];
                java.util.Arrays.fill(wshape, 1);
                wshape[a] = out;
                NDArray w = c.manager().create(weight, new Shape(wshape)).toDevice(x.getDevice(), false)
                        .toType(x.getDataType(), false);
                NDArray below = Axes.select(y, a, lo, c.manager());
                NDArray above = Axes.select(y, a, hi, c.manager());
                y = below.add(above.sub(below).mul(w));
            } else {
                y = Axes.select(y, a, idx, c.manager());
            }
        }
        return new NDList(y);
    }
}
