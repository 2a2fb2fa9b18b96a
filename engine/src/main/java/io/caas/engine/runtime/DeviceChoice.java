package io.caas.engine.runtime;

import ai.djl.Device;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * Where a worker fine-tunes, as its operator says it: {@code auto} takes the first GPU libtorch sees and the CPU
 * where it sees none, so the same setting serves the CPU and the GPU image; {@code gpu} is for a node that exists to
 * train on one, where falling back to the CPU would hide a broken deployment (no GPU passed into the container, a
 * CPU-only libtorch) behind jobs many times slower.
 */
public enum DeviceChoice {
    AUTO, CPU, GPU;

    /**
     * The device, given how many CUDA devices libtorch sees: {@code gpus} is asked once, and not at all for
     * {@code cpu}, so that a CPU node need not start libtorch to choose.
     */
    public Device resolve(IntSupplier gpus) {
        return switch (this) {
            case CPU -> Device.cpu();
            case AUTO -> gpus.getAsInt() > 0 ? Device.gpu() : Device.cpu();
            case GPU -> {
                if (gpus.getAsInt() <= 0) {
                    throw new IllegalStateException("a GPU was asked for (training device 'gpu'), but libtorch sees "
                            + "no CUDA device: the node runs a CPU-only libtorch, or no GPU is passed into its "
                            + "container (docker run --gpus, the NVIDIA container toolkit); use the GPU flavour "
                            + "of the image (docs/deployment.md), or 'auto' to fall back to the CPU");
                }
                yield Device.gpu();
            }
        };
    }

    /** How a job's log names {@code device}: "CPU" or "GPU 0". */
    public static String describe(Device device) {
        return device.isGpu() ? "GPU " + device.getDeviceId() : device.getDeviceType().toUpperCase(Locale.ROOT);
    }
}
