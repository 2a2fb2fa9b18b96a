package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.HashMap;
import java.util.Map;

/**
 * Backward passes from {@code scale × loss} with the scale as the seed gradient: the same gradients as a backward
 * pass from the scaled loss, without the scaling ops on the tape. The seeds (one scalar per scale, a run has one or
 * two: full and last batch) are made once per run, where DJL's GradientCollector makes a ones array every pass.
 */
final class ScaledBackward implements AutoCloseable {

    private final NDManager manager;
    private final Map<Float, NDArray> seeds = new HashMap<>();

    ScaledBackward(NDManager owner) {
        this.manager = owner.newSubManager();
    }

    /** Gradients of {@code loss.scale() × loss.unscaled()}, accumulated into the leaves; frees the graph. */
    void run(Losses.ScaledLoss loss) {
        NDArray unscaled = loss.unscaled();
        NDArray seed = seeds.computeIfAbsent(loss.scale(), s -> {
            NDArray a = manager.create(s).toType(unscaled.getDataType(), false).toDevice(unscaled.getDevice(), false);
            a.attach(manager);
            return a;
        });
        JniUtils.backward((PtNDArray) unscaled, (PtNDArray) seed, false, false);
    }

    @Override
    public void close() {
        manager.close();
    }
}
