package io.caas.engine.runtime;

import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's autograd recording switched off for a scope, on this thread, and back to what it was after. The mode is
 * per thread and starts on: DJL turns it off only on the thread that starts the engine, and a GradientCollector
 * restores whatever it found, so on a job's worker thread a forward pass outside a collector is recorded (its
 * graph and saved tensors kept alive with its outputs) unless this says otherwise.
 */
public final class GradMode implements AutoCloseable {

    private final boolean previous;

    private GradMode() {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    public static GradMode off() {
        return new GradMode();
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
