package io.caas.engine.testing;

import io.caas.engine.runtime.TorchRuntime;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Tests that make NDArrays of their own before they load a model would otherwise reach libtorch before the engine's
 * native set-up, and time or compute in a process unlike the service's; this makes the set-up first, as the
 * service's first model does. It does not start libtorch: a benchmark's thread settings must still apply.
 */
public final class TorchRuntimeFirst implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        TorchRuntime.prepare();
    }
}
