package io.caas.engine.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The way in to libtorch for the engine's code: the process-wide native set-up that must come before libtorch's
 * first call ({@link MklDispatch}) or its first oneDNN primitive ({@link OnednnCacheSizes}) is made on the way.
 */
public final class TorchRuntime {

    private TorchRuntime() {
    }

    /**
     * The set-up alone, without starting libtorch: for a process that makes NDArrays of its own before it asks the
     * engine for anything, and whose DJL settings (threads) must still apply when libtorch starts.
     */
    public static void prepare() {
        MklDispatch.load();
    }

    public static Engine engine() {
        prepare();
        Engine engine = Engine.getEngine(OnnxInterpreter.ENGINE);
        MklDispatch.report();
        OnednnCacheSizes.repair();
        return engine;
    }

    /**
     * The CUDA devices this process can train on, at least: DJL's count ({@link Engine#getGpuCount}) asks libcudart
     * through JNA, which does not find the versioned libcudart of a pip wheel's layout (libtorch, linked against it,
     * runs on the GPU all the same: BENCHMARKS.md, "Training on a GPU worker"); so where DJL counts none but libtorch
     * was built with CUDA, one array on GPU 0 says whether there is one.
     */
    public static int gpuCount() {
        Engine engine = engine();
        int counted = engine.getGpuCount();
        if (counted > 0 || !engine.hasCapability(StandardCapabilities.CUDA)) {
            return counted;
        }
        try (NDManager m = newManager(Device.gpu())) {
            m.zeros(new Shape(1));
            return 1;
        } catch (RuntimeException noDevice) {
            return 0;
        }
    }

    public static NDManager newManager(Device device) {
        engine();
        return NDManager.newBaseManager(device, OnnxInterpreter.ENGINE);
    }
}
