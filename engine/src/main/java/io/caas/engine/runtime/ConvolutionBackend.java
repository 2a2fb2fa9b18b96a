package io.caas.engine.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks once per process that libtorch's CPU convolutions compute what a convolution is, and where they do not,
 * turns off the oneDNN (mkldnn) backend that they go through, as {@code torch.backends.mkldnn.enabled = False}
 * does in Python; ATen's own convolution then runs instead.
 *
 * <p>Why: on an AMD EPYC virtual machine with AVX-512, libtorch 2.7.1's oneDNN convolutions returned wrong values or
 * NaN for ordinary geometries: openWakeWord's 1×3 convolution over [34, 24, 74, 32] was off by up to 17.5, a 3×3
 * stride-2 convolution over [16, 12, 9, 9] by 7.2 once oneDNN was limited to AVX2, and the gradient to the input of
 * 3×3 convolutions whose output channels are not a multiple of 16 by 1 to 4 or NaN, which made fine-tuning diverge;
 * with oneDNN off all match a direct sum to 1.5e-5. The cause was oneDNN's cache sizes (one byte each, from a CPUID
 * leaf the VM leaves empty), which {@link OnednnCacheSizes} now repairs before oneDNN's first primitive, and with
 * that this check passes there with oneDNN on. It stays, because the same failure from a cause not yet seen would
 * otherwise be silent: it costs about as much as one small forward pass. DJL has no switch for oneDNN, so the switch
 * is called in libtorch itself ({@code at::Context::setUserEnabledMkldnn}).
 */
final class ConvolutionBackend {

    private static final Logger log = LoggerFactory.getLogger(ConvolutionBackend.class);
    private static final double TOLERANCE = 1e-3;
    private static volatile boolean checked;

    private ConvolutionBackend() {
    }

    /** Runs the check on the first CPU model of the process; later calls return at once. */
    static void ensureCorrect(Device device) {
        if (checked || !Device.Type.CPU.equals(device.getDeviceType())) {
            return;
        }
        synchronized (ConvolutionBackend.class) {
            if (checked) {
                return;
            }
            // Other first loads wait here: the check records a backward pass, and DJL allows one at a time.
            try {
                TorchRuntime.engine();
                turnOffUnavailableNnpack();
                check();
            } catch (RuntimeException e) {
                log.warn("cannot check libtorch's CPU convolution: {}", e.toString());
            } finally {
                checked = true;
            }
        }
    }

    /**
     * libtorch 2.7.1 asks whether NNPACK can run on every convolution it plans, and where NNPACK cannot initialise
     * (this VM: "Unsupported hardware") it logs a warning each time: four lines per training step of a small CNN,
     * 144,000 in one benchmark run, into a worker's log and on its training thread. Switched off where it cannot
     * run anyway ({@code torch.backends.nnpack.set_flags(False)}), the question is not asked; it is asked once here.
     */
    private static void turnOffUnavailableNnpack() {
        libtorch().ifPresent(lib -> {
            if (!nnpackAvailable(lib)) {
                lib.getFunction("_ZN2at7Context20setUserEnabledNNPACKEb").invoke(Void.class,
                        new Object[] {context(lib), Boolean.FALSE});
                log.info("NNPACK cannot run on this processor: libtorch's NNPACK convolutions turned off");
            }
        });
    }

    /** Whether NNPACK can run in this process, and whether libtorch's NNPACK convolutions are on (for tests). */
    record Nnpack(boolean available, boolean enabled) {
    }

    static Optional<Nnpack> nnpack() {
        return libtorch().map(lib -> new Nnpack(nnpackAvailable(lib), cppBool(lib.getFunction(
                "_ZNK2at7Context17userEnabledNNPACKEv").invokeInt(new Object[] {context(lib)}))));
    }

    private static boolean nnpackAvailable(NativeLibrary lib) {
        return cppBool(lib.getFunction("_ZN2at6native17_nnpack_availableEv").invokeInt(new Object[0]));
    }

    /** A C++ bool comes back in the low byte of the return register; the rest of it is not defined. */
    private static boolean cppBool(int register) {
        return (register & 0xff) != 0;
    }

    private static void check() {
        double error = worstError(false);
        if (error <= TOLERANCE) {
            double channelsLast = worstError(true);
            if (channelsLast > TOLERANCE) {
                ChannelsLast.turnOff();
                log.warn("libtorch's channels-last convolution is off by {} on this processor; convolutions keep "
                        + "NCHW order", channelsLast);
            }
            return;
        }
        // channels-last order only pays through oneDNN, and its kernels are the ones found wrong
        ChannelsLast.turnOff();
        if (!disableMkldnn()) {
            log.error("libtorch's CPU convolution is off by {} on this processor and its oneDNN backend cannot "
                    + "be turned off: convolutional models will compute wrong values", error);
            return;
        }
        double after = worstError(false);
        if (after <= TOLERANCE) {
            log.warn("libtorch's oneDNN convolution was off by {} on this processor; turned oneDNN off, ATen's "
                    + "convolution is right to {}", error, after);
        } else {
            log.error("libtorch's CPU convolution is off by {} on this processor, {} with oneDNN off: "
                    + "convolutional models will compute wrong values", error, after);
        }
    }

    /** Whether the process's libtorch has oneDNN convolutions on (for tests). */
    static Optional<Boolean> mkldnnEnabled() {
        return libtorch().map(lib -> cppBool(lib.getFunction("_ZNK2at7Context17userEnabledMkldnnEv")
                .invokeInt(new Object[] {context(lib)})));
    }

    /**
     * The largest error, of the output and of the gradients to the input and (relative to its largest entry) to the
     * kernel, over geometries seen to fail, against direct sums in double precision; with the input in NCHW or in
     * channels-last order ({@link ChannelsLast}), which oneDNN computes with other kernels.
     */
    static double worstError(boolean channelsLast) {
        return Math.max(Math.max(error(34, 24, 24, 74, 32, 1, 3, 1, 0, 1, channelsLast),
                error(16, 12, 8, 9, 9, 3, 3, 2, 0, 0, channelsLast)),
                error(4, 8, 19, 12, 12, 3, 3, 1, 1, 1, channelsLast));
    }

    private static double error(int n, int in, int out, int h, int w, int kh, int kw, int stride, int padH, int padW,
            boolean channelsLast) {
        SplittableRandom r = new SplittableRandom(20261204L);
        int oh = (h + 2 * padH - kh) / stride + 1;
        int ow = (w + 2 * padW - kw) / stride + 1;
        float[] x = uniform(r, n * in * h * w);
        float[] k = uniform(r, out * in * kh * kw);
        float[] g = uniform(r, n * out * oh * ow);
        float[] y;
        float[] dx;
        float[] dk;
        try (NDManager m = TorchRuntime.newManager(Device.cpu());
             GradientCollector tape = TorchRuntime.engine().newGradientCollector()) {
            NDArray xs = m.create(x, new Shape(n, in, h, w));
            xs.setRequiresGradient(true);
            NDArray ks = m.create(k, new Shape(out, in, kh, kw));
            ks.setRequiresGradient(true);
            NDArray input = channelsLast ? ChannelsLast.of(xs) : xs;
            NDArray ys = input.getNDArrayInternal().convolution(input, ks, null, new Shape(stride, stride),
                    new Shape(padH, padW), new Shape(1, 1), 1).head();
            tape.backward(ys.mul(m.create(g, ys.getShape())).sum());
            y = ys.toFloatArray();
            dx = xs.getGradient().toFloatArray();
            dk = ks.getGradient().toFloatArray();
        }
        double[] dxRef = new double[dx.length];
        double[] dkRef = new double[dk.length];
        double worst = 0;
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        int at = ((b * out + o) * oh + i) * ow + j;
                        double sum = 0;
                        for (int c = 0; c < in; c++) {
                            for (int u = 0; u < kh; u++) {
                                int hi = i * stride - padH + u;
                                if (hi < 0 || hi >= h) {
                                    continue;
                                }
                                for (int v = 0; v < kw; v++) {
                                    int wi = j * stride - padW + v;
                                    if (wi >= 0 && wi < w) {
                                        int xi = ((b * in + c) * h + hi) * w + wi;
                                        int ki = ((o * in + c) * kh + u) * kw + v;
                                        sum += x[xi] * (double) k[ki];
                                        dxRef[xi] += g[at] * (double) k[ki];
                                        dkRef[ki] += g[at] * (double) x[xi];
                                    }
                                }
                            }
                        }
                        worst = worse(worst, sum - y[at]);
                    }
                }
            }
        }
        for (int i = 0; i < dx.length; i++) {
            worst = worse(worst, dxRef[i] - dx[i]);
        }
        // each kernel entry sums over the whole batch (75,000 terms, up to 360 here): float32 is exact to its
        // relative precision there, so that error is taken relative to the largest entry
        double scale = Math.max(1, Arrays.stream(dkRef).map(Math::abs).max().orElse(0));
        for (int i = 0; i < dk.length; i++) {
            worst = worse(worst, (dkRef[i] - dk[i]) / scale);
        }
        return worst;
    }

    private static double worse(double worst, double difference) {
        return Double.isNaN(difference) ? Double.POSITIVE_INFINITY : Math.max(worst, Math.abs(difference));
    }

    private static float[] uniform(SplittableRandom r, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static boolean disableMkldnn() {
        Optional<NativeLibrary> lib = libtorch();
        if (lib.isEmpty()) {
            return false;
        }
        lib.get().getFunction("_ZN2at7Context20setUserEnabledMkldnnEb").invoke(Void.class,
                new Object[] {context(lib.get()), Boolean.FALSE});
        return mkldnnEnabled().map(on -> !on).orElse(false);
    }

    private static Pointer context(NativeLibrary lib) {
        return (Pointer) lib.getFunction("_ZN2at13globalContextEv").invoke(Pointer.class, new Object[0]);
    }

    private static Optional<NativeLibrary> libtorch() {
        try {
            return Libtorch.loaded();
        } catch (IOException | UnsatisfiedLinkError | RuntimeException e) {
            log.warn("cannot reach libtorch to switch its convolution backend: {}", e.getMessage());
            return Optional.empty();
        }
    }
}
