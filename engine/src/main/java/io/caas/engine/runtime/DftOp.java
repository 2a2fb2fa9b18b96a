package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * ONNX DFT (opset 17 and 20) on PyTorch's FFTs. The last input axis holds a real value (size 1) or a complex one as
 * (real, imaginary) (size 2); the output always has (real, imaginary) last. Weights upstream of a DFT node must
 * train, and DJL's complex() (PyTorch's view_as_complex_copy) has no autograd, so complex input never becomes a
 * complex tensor: its real and imaginary parts are transformed as real signals (fft of a real tensor and view_as_real
 * are differentiable) and combined by linearity.
 */
final class DftOp {

    /** Opset 20 moved {@code axis} from an attribute (default 1) to input #2 (default -2). */
    private static final long AXIS_AS_INPUT_SINCE = 20;

    private DftOp() {
    }

    static void register(Map<String, Operator> r) {
        r.put("DFT", DftOp::apply);
    }

    private static NDList apply(OpCall c) {
        NDArray x = c.in(0);
        Shape shape = x.getShape();
        int rank = shape.dimension();
        long parts = rank == 0 ? 0 : shape.get(rank - 1);
        if (rank < 2 || (parts != 1 && parts != 2)) {
            throw new IllegalArgumentException(c.node().describe() + ": DFT input must end in an axis of size 1 (real) "
                    + "or 2 (real, imaginary), got shape " + shape);
        }
        int axis = signalAxis(c, rank);
        long length = c.has(1) ? c.longs(1)[0] : shape.get(axis);
        if (length < 1) {
            throw new IllegalArgumentException(c.node().describe() + ": dft_length must be positive, got " + length);
        }
        boolean inverse = c.attrInt("inverse", 0) != 0;
        boolean onesided = c.attrInt("onesided", 0) != 0;
        if (inverse && onesided) {
            // ONNX Runtime refuses this pair too; the spec leaves what it would mean (a C2R transform?) open.
            throw c.unsupported("DFT with both inverse=1 and onesided=1 is not supported");
        }

        DataType type = x.getDataType();
        // The signal axis goes last, behind the (real, imaginary) axis: PyTorch's FFT over the innermost,
        // contiguous axis was twice as fast as over a strided one (ldr's layers transform [N, p, q, r, n, 2]).
        int[] toLast = new int[rank];
        int k = 0;
        for (int d = 0; d < rank - 1; d++) {
            if (d != axis) {
                toLast[k++] = d;
            }
        }
        toLast[k++] = rank - 1;
        toLast[k] = axis;
        NDArray signal = computable(c, x).transpose(toLast);
        int last = rank - 1;
        boolean real = parts == 1;
        // Each part (real, and imaginary if any) is transformed as a real signal: [..., parts, n_out, (re, im)].
        NDArray spectra = (real && onesided ? signal.rfft(length, last)
                : inverse ? signal.ifft(length, last) : signal.fft(length, last)).real();
        NDArray y;
        if (real) {
            y = spectra.squeeze(rank - 2);
        } else {
            // By linearity F(a + ib) = F(a) + i F(b), and i (p + iq) = -q + ip.
            NDArray ofReal = spectra.get("..., 0, :, :");
            NDArray ofImaginary = spectra.get("..., 1, :, :");
            NDArray timesI = NDArrays.stack(new NDList(ofImaginary.get("..., 1").neg(), ofImaginary.get("..., 0")), -1);
            y = ofReal.add(timesI);
            if (onesided) {
                y = y.get(new NDIndex(":,".repeat(rank - 2) + "0:{}", length / 2 + 1));
            }
        }
        // y is [others..., n_out, (re, im)]: the signal axis goes back to its place
        int[] back = new int[rank];
        for (int d = 0, other = 0; d < rank - 1; d++) {
            back[d] = d == axis ? rank - 2 : other++;
        }
        back[rank - 1] = rank - 1;
        y = y.transpose(back);
        return new NDList(y.getDataType() == type ? y : y.toType(type, false));
    }

    /** A negative axis counts from the back, the (real, imaginary) axis included: -2 is the last signal axis. */
    private static int signalAxis(OpCall c, int rank) {
        long axis = c.opset() >= AXIS_AS_INPUT_SINCE
                ? (c.has(2) ? c.longs(2)[0] : -2)
                : c.attrInt("axis", 1);
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a > rank - 2) {
            throw new IllegalArgumentException(c.node().describe() + ": DFT axis " + axis + " is out of range for an "
                    + "input of rank " + rank + " (the last axis holds real and imaginary parts)");
        }
        return (int) a;
    }

    /** PyTorch's CPU FFTs take float and double; half precision is transformed in float and cast back. */
    private static NDArray computable(OpCall c, NDArray x) {
        DataType type = x.getDataType();
        if (type == DataType.FLOAT32 || type == DataType.FLOAT64) {
            return x;
        }
        if (type == DataType.FLOAT16 || type == DataType.BFLOAT16) {
            return x.toType(DataType.FLOAT32, false);
        }
        throw new IllegalArgumentException(c.node().describe() + ": DFT input must be a float tensor, got " + type);
    }
}
