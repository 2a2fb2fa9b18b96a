package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import java.util.HashMap;
import java.util.Map;

/**
 * Adam as DJL's {@code Adam} computes it (its fused update kernel, the same arguments and bias correction), except
 * that every {@value #FLUSH_EVERY} updates the moment estimates' entries smaller than {@value #TINY} in magnitude
 * are set to zero.
 *
 * <p>Why: the first moment of a weight whose gradient is zero step after step (a unit that a ReLU keeps shut for
 * the current samples, common at batch 1) decays by β1 = 0.9 per step and, some 700 steps after its last nonzero
 * gradient, passes through the denormal range below 1.2e-38, where each floating-point operation costs the CPU tens
 * of times a normal one (scaling 9,098 denormal floats took 60 µs, normal ones 6 µs: OptimizerStepBench in the
 * engine's test sources), and every Adam step pays that for each such entry until it underflows to zero, some 150
 * steps later. TensorFlow sets the CPU's flush-to-zero mode for the same reason; libtorch leaves it off and DJL gives
 * no way to set it, so the flush is done here on the data. What is flushed cannot matter: an entry below 1e-30 moves
 * its weight by less than lr·1e-30/ε = 1e-25 (ε = 1e-8). Between flushes an entry of at least 1e-30 decays to no less
 * than 1e-30·0.9^16 ≈ 1.9e-31, far from the denormal range.
 */
final class DenormalSafeAdam extends Optimizer {

    static final int FLUSH_EVERY = 16;
    static final float TINY = 1e-30f;

    private final float learningRate;
    private final float beta1 = 0.9f;
    private final float beta2 = 0.999f;
    private final float epsilon = 1e-8f;
    private final Map<String, NDList> moments = new HashMap<>();

    DenormalSafeAdam(float learningRate) {
        super(new Builder());
        this.learningRate = learningRate;
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        int t = updateCount(parameterId);
        double coef1 = 1.0 - Math.pow(beta1, t);
        double coef2 = 1.0 - Math.pow(beta2, t);
        float biasCorrected = (float) (learningRate * Math.sqrt(coef2) / coef1);
        NDList state = moments.computeIfAbsent(parameterId, k -> {
            NDManager owner = weight.getManager();
            NDList s = new NDList(weight.zerosLike(), weight.zerosLike());
            s.attach(owner);
            return s;
        });
        weight.getNDArrayInternal().adamUpdate(new NDList(weight, grad, state.get(0), state.get(1)),
                new NDList(weight), learningRate, biasCorrected, getWeightDecay(), rescaleGrad, clipGrad, beta1, beta2,
                epsilon, true, false);
        if (t % FLUSH_EVERY == 0) {
            for (NDArray moment : state) {
                try (NDArray keep = moment.abs().gte(TINY)) {
                    moment.muli(keep);
                }
            }
        }
    }

    /** The first and second moment estimates of a parameter, empty before its first update. */
    NDList moments(String parameterId) {
        return moments.getOrDefault(parameterId, new NDList());
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
