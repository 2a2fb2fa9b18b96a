package io.caas.engine.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch's fused CPU Adam, the kernel of PyTorch's {@code torch.optim.Adam(fused=True)}: one vectorised pass that
 * reads a weight, its gradient and both moments and writes the weight and the moments. DJL's {@code adamUpdate} makes
 * about 25 passes over the same memory (a gradient clone, a weight-decay add even at decay 0, and five full-size
 * temporaries): the benchmark MLP's training step at batch 1, a 784 × 256 weight's update most of its work, took 0.54x
 * the time fused (BENCHMARKS.md). DJL has no call for it, so {@code at::_ops::_fused_adam_::call} is called in
 * libtorch_cpu through JNA: each tensor list is a {@code c10::ArrayRef} passed by value (a pointer to at::Tensor
 * objects, which are each one TensorImpl pointer, and a length), each absent optional tensor 16 zero bytes. The mangled
 * name spells the whole signature, so another libtorch whose signature differs has no such symbol; the first use also
 * checks one update against the formula, and where either fails, {@link #available()} is false and the caller keeps
 * DJL's kernel.
 *
 * <p>The kernel's update is PyTorch's: {@code w -= lr / (1 - β1^t) · m / (sqrt(v) / sqrt(1 - β2^t) + ε)}, with weight
 * decay added to the gradient (Adam's, not AdamW's). The kernel reads all four arrays as contiguous memory: callers
 * pass only contiguous ones ({@link #contiguous}).
 */
public final class FusedAdam {

    private static final Logger log = LoggerFactory.getLogger(FusedAdam.class);
    private static final String SYMBOL =
            "_ZN2at4_ops12_fused_adam_4callEN3c108ArrayRefINS_6TensorEEES5_S5_S5_S5_S5_dddddbbRKSt8optionalIS4_ES9_";
    /** An empty {@code std::optional<at::Tensor>}: the tensor's pointer, then the engaged flag, all zero. */
    private static final Memory NO_TENSOR = zeroed(16);
    private static volatile Optional<Function> kernel;

    private FusedAdam() {
    }

    /** One {@code c10::ArrayRef<at::Tensor>}, by value. */
    @Structure.FieldOrder({"data", "length"})
    public static final class TensorList extends Structure implements Structure.ByValue {
        public Pointer data;
        public long length;
    }

    /** Whether the fused kernel can be called in this process (CPU libtorch with the expected signature). */
    public static boolean available() {
        return kernel().isPresent();
    }

    /**
     * Updates weight, mean and variance in place, on the CPU, for the update whose count step holds (a float32
     * scalar: 1 for the first update). All four arrays must be contiguous and of one shape; the gradient is not
     * changed.
     */
    public static void update(NDArray weight, NDArray grad, NDArray mean, NDArray variance, NDArray step, double lr,
            double beta1, double beta2, double weightDecay, double eps) {
        call(kernel().orElseThrow(() -> new IllegalStateException("libtorch's fused Adam is not available")), weight,
                grad, mean, variance, step, lr, beta1, beta2, weightDecay, eps);
    }

    private static void call(Function f, NDArray weight, NDArray grad, NDArray mean, NDArray variance, NDArray step,
            double lr, double beta1, double beta2, double weightDecay, double eps) {
        try (GradMode off = GradMode.off()) {
            // no max_exp_avg_sqs (amsgrad off), no grad_scale or found_inf
            f.invoke(Void.class, new Object[] {list(weight), list(grad), list(mean), list(variance), new TensorList(),
                    list(step), lr, beta1, beta2, weightDecay, eps, false, false, NO_TENSOR, NO_TENSOR});
        }
    }

    /** Whether an array is a float32 CPU tensor laid out contiguously, as the kernel reads it. */
    public static boolean contiguous(NDArray a) {
        if (!(a instanceof PtNDArray) || a.getDataType() != DataType.FLOAT32
                || !Device.Type.CPU.equals(a.getDevice().getDeviceType())) {
            return false;
        }
        try {
            return Libtorch.isContiguous(a);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static TensorList list(NDArray a) {
        TensorList l = new TensorList();
        Memory tensors = new Memory(Native.POINTER_SIZE);
        // DJL's handle points at an at::Tensor, whose one field is its TensorImpl pointer
        tensors.setPointer(0, new Pointer(((PtNDArray) a).getHandle()).getPointer(0));
        l.data = tensors;
        l.length = 1;
        return l;
    }

    private static Optional<Function> kernel() {
        Optional<Function> k = kernel;
        if (k == null) {
            synchronized (FusedAdam.class) {
                if (kernel == null) {
                    kernel = find();
                }
                k = kernel;
            }
        }
        return k;
    }

    private static Optional<Function> find() {
        try {
            TorchRuntime.engine();
            Optional<Function> f = Libtorch.loaded().map(lib -> lib.getFunction(SYMBOL));
            if (f.isPresent() && !rightOnOneUpdate(f.get())) {
                log.warn("libtorch's fused Adam gave a wrong update on this build: DJL's Adam kernel is used");
                return Optional.empty();
            }
            f.ifPresent(k -> log.info("Adam updates run libtorch's fused kernel"));
            return f;
        } catch (UnsatisfiedLinkError | java.io.IOException | RuntimeException e) {
            log.info("libtorch's fused Adam cannot be called ({}): DJL's Adam kernel is used", e.toString());
            return Optional.empty();
        }
    }

    /** Two updates of three entries against PyTorch's formula in double precision. */
    private static boolean rightOnOneUpdate(Function f) {
        float[] w0 = {0.5f, -1.25f, 2f};
        float[] g = {0.1f, -0.02f, 0f};
        double lr = 0.01;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        try (NDManager m = TorchRuntime.newManager(Device.cpu())) {
            NDArray w = m.create(w0);
            NDArray grad = m.create(g);
            NDArray mean = m.zeros(w.getShape());
            NDArray variance = m.zeros(w.getShape());
            NDArray step = m.create(0f);
            for (int t = 1; t <= 2; t++) {
                step.addi(1f);
                call(f, w, grad, mean, variance, step, lr, b1, b2, 0.0, eps);
            }
            float[] got = w.toFloatArray();
            for (int i = 0; i < w0.length; i++) {
                double mi = 0;
                double vi = 0;
                double wi = w0[i];
                for (int t = 1; t <= 2; t++) {
                    mi = b1 * mi + (1 - b1) * g[i];
                    vi = b2 * vi + (1 - b2) * g[i] * (double) g[i];
                    wi -= lr / (1 - Math.pow(b1, t)) * mi / (Math.sqrt(vi) / Math.sqrt(1 - Math.pow(b2, t)) + eps);
                }
                if (!(Math.abs(got[i] - wi) <= 1e-6)) {
                    return false;
                }
            }
            return true;
        }
    }

    private static Memory zeroed(int bytes) {
        Memory m = new Memory(bytes);
        m.clear();
        return m;
    }
}
