package io.caas.engine.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Batched 2-D convolutions on the CPU take their input in channels-last order (NHWC in memory, still NCHW to every
 * operator), as {@code x.to(memory_format=torch.channels_last)} does in PyTorch. libtorch's oneDNN convolution then
 * reads and writes that order directly, where a contiguous NCHW input costs it a reorder into its blocked layout and
 * one back, forward and backward; its output stays channels-last, so the layers after it (activations, pools, the
 * next convolution) run on that order too, and libtorch's max pool has a vectorised kernel for it (over channels)
 * where its NCHW kernel decides each window element with a branch. A small CNN's training step at batch 64 took 0.55x
 * the time (BENCHMARKS.md). Results are the same values summed in another order.
 *
 * <p>Batch 1 keeps NCHW: libtorch runs small single-image convolutions with its own kernel, not oneDNN's. Off with
 * {@code CAAS_CHANNELS_LAST=off}, and off where {@link ConvolutionBackend}'s check finds oneDNN's channels-last
 * convolution wrong or has turned oneDNN off.
 */
final class ChannelsLast {

    private static final boolean REQUESTED = !"off".equalsIgnoreCase(System.getenv("CAAS_CHANNELS_LAST"));
    private static volatile boolean usable = true;

    private ChannelsLast() {
    }

    /** Whether a convolution over x runs on x in channels-last order. */
    static boolean appliesTo(NDArray x) {
        return on() && x.getShape().dimension() == 4 && x.getShape().get(0) > 1
                && x.getDataType() == DataType.FLOAT32 && Device.Type.CPU.equals(x.getDevice().getDeviceType());
    }

    /**
     * x with channels-last strides. DJL has no memory-format argument, so: NHWC as a permuted view, a reshape that
     * cannot be a view of it (so libtorch copies it into NHWC order; where x is already channels-last it can, and
     * nothing is copied), and the permutation back. Autograd records each step, so gradients flow as through x.
     */
    static NDArray of(NDArray x) {
        long[] d = x.getShape().getShape();
        return x.transpose(0, 2, 3, 1).reshape(d[0], d[1] * d[2] * d[3]).reshape(d[0], d[2], d[3], d[1])
                .transpose(0, 3, 1, 2);
    }

    static void turnOff() {
        usable = false;
    }

    /** Whether convolutions run channels-last in this process (for tests and the log). */
    static boolean on() {
        return REQUESTED && usable;
    }
}
