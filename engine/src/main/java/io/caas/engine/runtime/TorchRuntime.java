package io.caas.engine.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

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

    public static NDManager newManager(Device device) {
        engine();
        return NDManager.newBaseManager(device, OnnxInterpreter.ENGINE);
    }
}
