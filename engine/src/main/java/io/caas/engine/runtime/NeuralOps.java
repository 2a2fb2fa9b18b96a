package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.Map;

/** Layers with weights or windows: convolutions, dense products, normalisations, pools, softmax. */
final class NeuralOps {

    private NeuralOps() {
    }

    static void register(Map<String, Operator> r) {
        r.put("Conv", NeuralOps::conv);
        r.put("ConvTranspose", NeuralOps::convTranspose);
        r.put("Gemm", NeuralOps::gemm);
        r.put("MatMul", c -> new NDList(c.in(0).matMul(c.in(1))));
        r.put("Softmax", c -> softmax(c, false));
        r.put("LogSoftmax", c -> softmax(c, true));
        r.put("BatchNormalization", NeuralOps::batchNorm);
        r.put("LayerNormalization", NeuralOps::layerNorm);
        r.put("MaxPool", NeuralOps::maxPool);
        r.put("AveragePool", NeuralOps::avgPool);
        r.put("GlobalAveragePool", c -> {
            NDArray x = c.in(0);
            int rank = x.getShape().dimension();
            return new NDList(Axes.mean(x, Arrays.copyOfRange(Axes.all(rank), 2, rank), true));
        });
    }

    private static long[] spatial(NDArray x) {
        long[] d = x.getShape().getShape();
        return Arrays.copyOfRange(d, 2, d.length);
    }

    private static NDList conv(OpCall c) {
        NDArray x = c.in(0);
        NDArray w = c.in(1);
        long[] wd = w.getShape().getShape();
        Windows win = Windows.of(c, spatial(x), Arrays.copyOfRange(wd, 2, wd.length));
        Shape padding = win.beginPads();
        if (!win.symmetric()) {
            x = win.padInput(x, 0);
            padding = win.zeros();
        }
        int group = (int) c.attrInt("group", 1);
        NDArray bias = c.opt(2);
        // DJL casts without recording a gradient, so the float64 sum is for passes that record none
        boolean trains = JniUtils.isGradMode()
                && (x.hasGradient() || w.hasGradient() || bias != null && bias.hasGradient());
        if (isFilterbank(w, group) && x.getDataType() == DataType.FLOAT32 && !trains) {
            NDArray x64 = x.toType(DataType.FLOAT64, false);
            NDList out = x64.getNDArrayInternal().convolution(x64, w.toType(DataType.FLOAT64, false),
                    bias == null ? null : bias.toType(DataType.FLOAT64, false), new Shape(win.strides()), padding,
                    new Shape(win.dilations()), group);
            return new NDList(out.head().toType(DataType.FLOAT32, false));
        }
        if (ChannelsLast.appliesTo(x)) {
            x = ChannelsLast.of(x);
        }
        NDList out = x.getNDArrayInternal().convolution(x, w, bias, new Shape(win.strides()), padding,
                new Shape(win.dilations()), group);
        return new NDList(out.head());
    }

    /** Taps at which a single-channel filterbank is summed in float64 ({@link #isFilterbank}). */
    static final long FILTERBANK_TAPS = 256;

    /**
     * Whether a conv is a long filterbank over one channel, as audio front ends export their STFT (openWakeWord's
     * melspectrogram: 512 taps): summed in float64, because its outputs cancel about a thousandfold in quiet bins and
     * then pass through a log, where float32's summation order alone moves a decibel value by 1e-4 (libtorch and ONNX
     * Runtime each stray from the float64 value, in opposite directions). One such conv costs little either way. A
     * training pass through it sums in float32 as any conv does.
     */
    private static boolean isFilterbank(NDArray w, int group) {
        long[] wd = w.getShape().getShape();
        long taps = 1;
        for (int i = 2; i < wd.length; i++) {
            taps *= wd[i];
        }
        return group == 1 && wd.length >= 3 && wd[1] == 1 && taps >= FILTERBANK_TAPS;
    }

    /**
     * Computed without PyTorch's padding (which is symmetric only), then cropped by the ONNX pads: this handles
     * uneven pads, output_padding and output_shape in one way.
     */
    private static NDList convTranspose(OpCall c) {
        NDArray x = c.in(0);
        NDArray w = c.in(1);
        long[] wd = w.getShape().getShape();
        long[] in = spatial(x);
        int r = in.length;
        long[] kernel = c.attrInts("kernel_shape");
        if (kernel == null) {
            kernel = Arrays.copyOfRange(wd, 2, wd.length);
        }
        long[] strides = ones(c.attrInts("strides"), r);
        long[] dil = ones(c.attrInts("dilations"), r);
        long[] outPad = c.attrInts("output_padding");
        if (outPad == null || outPad.length == 0) {
            outPad = new long[r];
        }
        long[] pads = c.attrInts("pads");
        if (pads == null || pads.length == 0) {
            pads = new long[2 * r];
        }
        long[] outputShape = c.attrInts("output_shape");
        String autoPad = c.attrString("auto_pad", "NOTSET");
        long[] full = new long[r];
        for (int i = 0; i < r; i++) {
            full[i] = strides[i] * (in[i] - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1;
        }
        if ((outputShape != null && outputShape.length > 0) || autoPad.startsWith("SAME")) {
            long[] target = new long[r];
            for (int i = 0; i < r; i++) {
                target[i] = outputShape != null && outputShape.length > 0
                        ? outputShape[outputShape.length - r + i] : in[i] * strides[i];
            }
            pads = new long[2 * r];
            for (int i = 0; i < r; i++) {
                long total = full[i] - target[i];
                boolean upper = autoPad.equals("SAME_UPPER");
                // Negative when output_shape asks for more than the kernel reaches: ONNX Runtime appends those
                // rows (bias only) at the end rather than splitting them.
                pads[i] = total < 0 ? 0 : upper ? total / 2 : total - total / 2;
                pads[i + r] = total - pads[i];
            }
        } else if (autoPad.equals("VALID")) {
            pads = new long[2 * r];
        }
        int group = (int) c.attrInt("group", 1);
        NDArray y = transposedConv(x, w, strides, kernel, dil, group);
        boolean anyOutPad = Arrays.stream(outPad).anyMatch(p -> p != 0);
        if (anyOutPad) {
            long[] torch = new long[2 * r];
            for (int i = 0; i < r; i++) {
                torch[2 * i + 1] = outPad[r - 1 - i];
            }
            y = y.pad(new Shape(torch), 0);
        }
        long[] begin = Arrays.copyOf(pads, r);
        long[] end = Arrays.copyOfRange(pads, r, 2 * r);
        if (Arrays.stream(pads).anyMatch(p -> p < 0)) {
            long[] torch = new long[2 * r];
            for (int i = 0; i < r; i++) {
                torch[2 * (r - 1 - i)] = Math.max(0, -begin[i]);
                torch[2 * (r - 1 - i) + 1] = Math.max(0, -end[i]);
                begin[i] = Math.max(0, begin[i]);
                end[i] = Math.max(0, end[i]);
            }
            y = y.pad(new Shape(torch), 0);
        }
        if (Arrays.stream(begin).anyMatch(p -> p != 0) || Arrays.stream(end).anyMatch(p -> p != 0)) {
            y = Windows.crop(y, begin, end);
        }
        if (c.has(2)) {
            long[] bshape = new long[r + 2];
            Arrays.fill(bshape, 1);
            bshape[1] = -1;
            y = y.add(c.in(2).reshape(bshape));
        }
        return new NDList(y);
    }

    /**
     * DJL's PyTorch engine has no deconvolution ("Not implemented"), so: spread the input with stride-1 zeros
     * between elements, then a plain convolution with the flipped, in/out-swapped kernel and full padding.
     * Output spatial size is stride*(in-1) + dilation*(k-1) + 1, with no padding applied.
     */
    private static NDArray transposedConv(NDArray x, NDArray w, long[] strides, long[] kernel, long[] dil, int group) {
        long[] xd = x.getShape().getShape();
        int r = xd.length - 2;
        NDArray spread = x;
        if (Arrays.stream(strides).anyMatch(s -> s != 1)) {
            long[] interleaved = new long[2 + 2 * r];
            interleaved[0] = xd[0];
            interleaved[1] = xd[1];
            for (int i = 0; i < r; i++) {
                interleaved[2 + 2 * i] = xd[2 + i];
                interleaved[3 + 2 * i] = 1;
            }
            long[] torchPad = new long[2 * (2 + 2 * r)];
            for (int i = 0; i < r; i++) {
                int axis = 3 + 2 * i;
                int fromEnd = interleaved.length - 1 - axis;
                torchPad[2 * fromEnd + 1] = strides[i] - 1;
            }
            spread = x.reshape(interleaved).pad(new Shape(torchPad), 0);
            long[] merged = new long[2 + r];
            merged[0] = xd[0];
            merged[1] = xd[1];
            for (int i = 0; i < r; i++) {
                merged[2 + i] = xd[2 + i] * strides[i];
            }
            spread = spread.reshape(merged);
            long[] trimEnd = new long[r];
            for (int i = 0; i < r; i++) {
                trimEnd[i] = strides[i] - 1;
            }
            spread = Windows.crop(spread, new long[r], trimEnd);
        }
        long[] wd = w.getShape().getShape();
        long cin = wd[0];
        long coutPerGroup = wd[1];
        long[] grouped = new long[wd.length + 1];
        grouped[0] = group;
        grouped[1] = cin / group;
        grouped[2] = coutPerGroup;
        System.arraycopy(wd, 2, grouped, 3, r);
        int[] perm = Axes.all(grouped.length);
        perm[1] = 2;
        perm[2] = 1;
        long[] convShape = new long[wd.length];
        convShape[0] = coutPerGroup * group;
        convShape[1] = cin / group;
        System.arraycopy(wd, 2, convShape, 2, r);
        int[] spatialAxes = Arrays.copyOfRange(Axes.all(wd.length), 2, wd.length);
        NDArray kernelW = w.reshape(grouped).transpose(perm).reshape(convShape).flip(spatialAxes);
        long[] pad = new long[r];
        for (int i = 0; i < r; i++) {
            pad[i] = dil[i] * (kernel[i] - 1);
        }
        long[] ones = new long[r];
        Arrays.fill(ones, 1);
        return spread.getNDArrayInternal().convolution(spread, kernelW, null, new Shape(ones), new Shape(pad),
                new Shape(dil), group).head();
    }

    private static long[] ones(long[] v, int r) {
        if (v != null && v.length > 0) {
            return v;
        }
        long[] o = new long[r];
        Arrays.fill(o, 1);
        return o;
    }

    private static NDList gemm(OpCall c) {
        NDArray a = c.in(0);
        NDArray b = c.in(1);
        boolean transA = c.attrInt("transA", 0) != 0;
        boolean transB = c.attrInt("transB", 0) != 0;
        float alpha = c.attrFloat("alpha", 1f);
        float beta = c.attrFloat("beta", 1f);
        NDArray bias = c.has(2) && beta != 0f ? c.in(2) : null;
        if (!transA && alpha == 1f && (bias == null || beta == 1f && bias.getShape().dimension() == 1)) {
            // The form PyTorch exports nn.Linear as: one fused op (addmm) forward and one node backward, instead of
            // transpose + matMul + add. A weight stored untransposed is passed as a transposed view.
            return a.getNDArrayInternal().linear(a, transB ? b : b.transpose(), bias);
        }
        if (transA) {
            a = a.transpose();
        }
        if (transB) {
            b = b.transpose();
        }
        NDArray y = a.matMul(b);
        if (alpha != 1f) {
            y = y.mul(alpha);
        }
        if (bias != null) {
            y = y.add(beta == 1f ? bias : bias.mul(beta));
        }
        return new NDList(y);
    }

    /** Before opset 13 the input is seen as 2-D around `axis`; from 13 on it is a plain per-axis softmax. */
    private static NDList softmax(OpCall c, boolean log) {
        NDArray x = c.in(0);
        int rank = x.getShape().dimension();
        if (c.opset() < 13) {
            int axis = Axes.normalize(c.attrInt("axis", 1), rank);
            long[] d = x.getShape().getShape();
            NDArray flat = x.reshape(Axes.product(d, 0, axis), Axes.product(d, axis, rank));
            NDArray y = log ? flat.logSoftmax(1) : flat.softmax(1);
            return new NDList(y.reshape(x.getShape()));
        }
        int axis = Axes.normalize(c.attrInt("axis", -1), rank);
        return new NDList(log ? x.logSoftmax(axis) : x.softmax(axis));
    }

    /**
     * Inference form normalises with the stored statistics, so a fine-tune keeps them fixed. training_mode=1
     * (opset 14+) normalises with the batch's own statistics and also returns the updated running ones.
     */
    private static NDList batchNorm(OpCall c) {
        NDArray x = c.in(0);
        int rank = x.getShape().dimension();
        long[] bshape = new long[rank];
        Arrays.fill(bshape, 1);
        bshape[1] = -1;
        float eps = c.attrFloat("epsilon", 1e-5f);
        NDArray scale = c.in(1).reshape(bshape);
        NDArray bias = c.in(2).reshape(bshape);
        boolean training = c.attrInt("training_mode", 0) != 0;
        if (!training && c.wantsOutput(1)) {
            throw c.unsupported("BatchNormalization statistics outputs before opset 14 are not supported");
        }
        NDArray mean;
        NDArray var;
        NDList extra = new NDList();
        if (training) {
            int[] axes = Axes.all(rank);
            axes = Arrays.stream(axes).filter(a -> a != 1).toArray();
            mean = Axes.mean(x, axes, true);
            var = Axes.mean(x.sub(mean).square(), axes, true);
            float momentum = c.attrFloat("momentum", 0.9f);
            NDArray runningMean = c.in(3).mul(momentum).add(mean.reshape(-1).mul(1 - momentum));
            NDArray runningVar = c.in(4).mul(momentum).add(var.reshape(-1).mul(1 - momentum));
            extra.add(c.wantsOutput(1) ? runningMean : null);
            extra.add(c.wantsOutput(2) ? runningVar : null);
        } else {
            mean = c.in(3).reshape(bshape);
            var = c.in(4).reshape(bshape);
        }
        NDList out = new NDList(x.sub(mean).div(var.add(eps).sqrt()).mul(scale).add(bias));
        out.addAll(extra);
        return out;
    }

    private static NDList layerNorm(OpCall c) {
        NDArray x = c.in(0);
        int rank = x.getShape().dimension();
        int axis = Axes.normalize(c.attrInt("axis", -1), rank);
        int[] axes = Arrays.copyOfRange(Axes.all(rank), axis, rank);
        float eps = c.attrFloat("epsilon", 1e-5f);
        Shape normalized = x.getShape().slice(axis);
        if (!c.wantsOutput(1) && !c.wantsOutput(2) && x.getDataType() == DataType.FLOAT32
                && c.in(1).getShape().equals(normalized) && (!c.has(2) || c.in(2).getShape().equals(normalized))) {
            // libtorch's layer_norm: one kernel forward and one backward, instead of the eight operators below
            NDArray beta = c.has(2) ? c.in(2) : c.in(1).zerosLike();
            return new NDList(x.getNDArrayInternal().layerNorm(x, normalized, c.in(1), beta, eps).head());
        }
        NDArray mean = Axes.mean(x, axes, true);
        NDArray centered = x.sub(mean);
        NDArray invStd = Axes.mean(centered.square(), axes, true).add(eps).sqrt().pow(-1);
        NDArray y = centered.mul(invStd).mul(c.in(1));
        if (c.has(2)) {
            y = y.add(c.in(2));
        }
        NDList out = new NDList(y);
        out.add(c.wantsOutput(1) ? mean : null);
        out.add(c.wantsOutput(2) ? invStd : null);
        return out;
    }

    private static NDList maxPool(OpCall c) {
        if (c.wantsOutput(1)) {
            throw c.unsupported("MaxPool Indices output is not supported");
        }
        NDArray x = c.in(0);
        Windows win = Windows.of(c, spatial(x), null);
        boolean ceil = c.attrInt("ceil_mode", 0) != 0;
        long[] in = spatial(x);
        // With autograd recording, libtorch's kernel: its gradient goes to one element per window (the first
        // maximum), where the maxima's would be shared among ties. (DJL reports no gradient for values computed from
        // one, so whether x itself is on the tape cannot be asked.)
        boolean recorded = JniUtils.isGradMode();
        if (win.dilated() || !recorded && x.getDataType().isFloating() && x.size() >= SLICED_MAX_POOL_MIN_INPUT) {
            NDArray y = slicedMaxPool(win.padded() ? win.padInput(x, Double.NEGATIVE_INFINITY) : x, win, ceil);
            return new NDList(dropWindowsStartingInPadding(y, in, win, ceil));
        }
        Shape padding = win.beginPads();
        if (!win.symmetric() || !withinHalfKernel(win)) {
            NDArray padded = win.padInput(x, Double.NEGATIVE_INFINITY);
            NDArray y = padded.getNDArrayInternal().maxPool(new Shape(win.kernel()), new Shape(win.strides()), win.zeros(), ceil);
            return new NDList(dropWindowsStartingInPadding(y, in, win, ceil));
        }
        return new NDList(x.getNDArrayInternal().maxPool(new Shape(win.kernel()), new Shape(win.strides()), padding, ceil));
    }

    /**
     * Input size from which a max pool run without autograd runs as {@link #slicedMaxPool}: libtorch's
     * max-pool kernel decides each window element with a branch, which mispredicts on unordered data (with this form
     * a small CNN's forward pass at batch 64 took 0.45x the time, BENCHMARKS.md); below this, the few extra operator
     * calls cost more than the kernel does.
     */
    static final long SLICED_MAX_POOL_MIN_INPUT = 1 << 15;

    /**
     * The maximum over one strided slice of x per kernel offset: the max pool, without indices (so without a
     * gradient of its own kind), and with dilation, which DJL's maxPool does not take. x is already padded;
     * ceil_mode windows that run past the end see -inf there. The maxima propagate NaN as the kernel does.
     */
    static NDArray slicedMaxPool(NDArray x, Windows win, boolean ceil) {
        int r = win.rank();
        long[] d = x.getShape().getShape();
        long[] out = new long[r];
        long[] extra = new long[2 * r];
        for (int i = 0; i < r; i++) {
            long span = (win.kernel()[i] - 1) * win.dilations()[i] + 1;
            long room = d[i + 2] - span;
            out[i] = (ceil ? Math.floorDiv(room + win.strides()[i] - 1, win.strides()[i]) : Math.floorDiv(room, win.strides()[i])) + 1;
            long need = (out[i] - 1) * win.strides()[i] + span;
            extra[2 * (r - 1 - i) + 1] = Math.max(0, need - d[i + 2]);
        }
        if (Arrays.stream(extra).anyMatch(e -> e > 0)) {
            x = x.pad(new Shape(extra), Double.NEGATIVE_INFINITY);
        }
        long windows = 1;
        for (long k : win.kernel()) {
            windows *= k;
        }
        NDArray result = null;
        for (long w = 0; w < windows; w++) {
            ai.djl.ndarray.index.NDIndex index = new ai.djl.ndarray.index.NDIndex().addAllDim().addAllDim();
            long rest = w;
            long[] offsets = new long[r];
            for (int i = r - 1; i >= 0; i--) {
                offsets[i] = (rest % win.kernel()[i]) * win.dilations()[i];
                rest /= win.kernel()[i];
            }
            for (int i = 0; i < r; i++) {
                index.addSliceDim(offsets[i], offsets[i] + (out[i] - 1) * win.strides()[i] + 1, win.strides()[i]);
            }
            NDArray slice = x.get(index);
            result = result == null ? slice : result.maximum(slice);
        }
        return result;
    }

    /**
     * With ceil_mode, ONNX Runtime (like PyTorch) drops a last window that would start in the end padding. After
     * explicit padding PyTorch sees that padding as input and keeps such a window, so it is cropped off here.
     */
    private static NDArray dropWindowsStartingInPadding(NDArray y, long[] inputSpatial, Windows win, boolean ceil) {
        if (!ceil) {
            return y;
        }
        int r = win.rank();
        long[] d = y.getShape().getShape();
        ai.djl.ndarray.index.NDIndex index = new ai.djl.ndarray.index.NDIndex().addAllDim().addAllDim();
        boolean crop = false;
        for (int i = 0; i < r; i++) {
            long out = d[i + 2];
            if (out > 1 && (out - 1) * win.strides()[i] >= inputSpatial[i] + win.pads()[i]) {
                out--;
                crop = true;
            }
            index.addSliceDim(0, out);
        }
        return crop ? y.get(index) : y;
    }

    private static boolean withinHalfKernel(Windows win) {
        for (int i = 0; i < win.rank(); i++) {
            if (win.pads()[i] * 2 > win.kernel()[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * count_include_pad=0 with padding is the average of the zero-padded input divided by the average of a
     * zero-padded mask of ones (DJL's avgPool was seen to count the padding regardless of its flag).
     */
    private static NDList avgPool(OpCall c) {
        NDArray x = c.in(0);
        Windows win = Windows.of(c, spatial(x), null);
        if (win.dilated()) {
            throw c.unsupported("AveragePool with dilations is not supported");
        }
        boolean ceil = c.attrInt("ceil_mode", 0) != 0;
        boolean includePad = c.attrInt("count_include_pad", 0) != 0;
        Shape kernel = new Shape(win.kernel());
        Shape strides = new Shape(win.strides());
        if (!win.padded() || (includePad && win.symmetric() && withinHalfKernel(win))) {
            return new NDList(x.getNDArrayInternal().avgPool(kernel, strides, win.beginPads(), ceil, includePad));
        }
        long[] in = spatial(x);
        NDArray padded = win.padInput(x, 0);
        NDArray sum = padded.getNDArrayInternal().avgPool(kernel, strides, win.zeros(), ceil, true);
        if (includePad) {
            return new NDList(dropWindowsStartingInPadding(sum, in, win, ceil));
        }
        NDArray mask = win.padInput(x.onesLike(), 0);
        NDArray count = mask.getNDArrayInternal().avgPool(kernel, strides, win.zeros(), ceil, true);
        return new NDList(dropWindowsStartingInPadding(sum.div(count), in, win, ceil));
    }
}
