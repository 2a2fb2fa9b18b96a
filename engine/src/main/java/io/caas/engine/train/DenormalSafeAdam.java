package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
import io.caas.engine.runtime.FusedAdam;
import io.caas.engine.runtime.GradMode;
import java.util.HashMap;
import java.util.Map;

/**
 * Adam as DJL's {@code Adam} computes it (the same arguments and bias correction), except that every
 * {@value #FLUSH_EVERY} updates the moment estimates' entries smaller than {@value #TINY} in magnitude are set to
 * zero. On the CPU each update is one call of libtorch's fused kernel ({@link FusedAdam}, PyTorch's
 * {@code Adam(fused=True)}: one pass over the weight, its gradient and moments), given the ε that makes its formula
 * DJL's; where that cannot run (another device, a non-contiguous array, gradient rescaling or clipping, or
 * {@code CAAS_FUSED_ADAM=off}), DJL's {@code adamUpdate}.
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
 *
 * <p>With DJL's kernel, a weight of more than {@value #CHUNK} elements is updated in slices of whole rows (its first
 * axis) of at most that many elements, each a view of the weight, its gradient and its moments, so the result is that
 * of one update (Adam is elementwise). Why: DJL's kernel makes about five temporaries of its input's size, and glibc's
 * malloc serves any allocation over 32 MB (its largest mmap threshold) with fresh pages from the kernel, which are
 * faulted in and zeroed at every update. On MiniLM's 30,522 × 384 word embedding (47 MB) one update took 670 ms with
 * 57,230 minor page faults; in this class's slices (3, of 16 MiB at most), 48 ms and 822 faults (PyTorch 1.13's Adam on
 * the same weight: 285 ms, 22,892 faults; BENCHMARKS.md, "Training step", MiniLM).
 */
final class DenormalSafeAdam extends Optimizer {

    static final int FLUSH_EVERY = 16;
    /** {@code CAAS_FUSED_ADAM=off} keeps DJL's kernel (and its epsilon placement) for every update. */
    static final boolean FUSED = !"off".equalsIgnoreCase(System.getenv("CAAS_FUSED_ADAM"));
    static final float TINY = 1e-30f;
    /** Most elements one call of DJL's kernel updates: 16 MiB of floats, half glibc's largest mmap threshold. */
    static final long CHUNK = 1L << 22;

    private final float learningRate;
    private final float beta1 = 0.9f;
    private final float beta2 = 0.999f;
    private final float epsilon = 1e-8f;
    private final Map<String, NDList> moments = new HashMap<>();
    /** Each fused update's count, a float32 scalar the kernel reads. */
    private final Map<String, NDArray> steps = new HashMap<>();
    private final long chunk;
    private final boolean fused;

    DenormalSafeAdam(float learningRate) {
        this(learningRate, CHUNK, FUSED);
    }

    /**
     * @param chunk the most elements one call of DJL's kernel updates (a test sets it small)
     * @param fused whether updates take libtorch's fused kernel where they can (a test compares both kernels)
     */
    DenormalSafeAdam(float learningRate, long chunk, boolean fused) {
        super(new Builder());
        this.learningRate = learningRate;
        this.chunk = chunk;
        this.fused = fused;
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        int t = updateCount(parameterId);
        double coef1 = 1.0 - Math.pow(beta1, t);
        double coef2 = 1.0 - Math.pow(beta2, t);
        float biasCorrected = (float) (learningRate * Math.sqrt(coef2) / coef1);
        NDList state = moments(parameterId, weight);
        if (fusable(weight, grad, state.get(0), state.get(1))) {
            fusedAdam(parameterId, weight, weight, grad, state.get(0), state.get(1), coef2);
            JniUtils.zeroGrad((PtNDArray) weight);
            flushTinyMoments(t, state);
            return;
        }
        long rows = weight.getShape().isScalar() ? 1 : weight.getShape().get(0);
        long rowsPerSlice = rows == 0 ? 1 : chunk / (weight.size() / rows);
        if (weight.size() <= chunk || rowsPerSlice < 1 || !grad.getShape().equals(weight.getShape())) {
            adam(weight, grad, state.get(0), state.get(1), biasCorrected);
        } else {
            // Slices of whole rows along the first axis: basic indexing, so views that the kernel updates in place
            // whatever the strides. A slice has no gradient of its own, so the weight's is zeroed here afterwards, as
            // DJL's adamUpdate zeroes it after a whole-array update.
            try (GradMode off = GradMode.off(); NDManager views = weight.getManager().newSubManager()) {
                for (long from = 0; from < rows; from += rowsPerSlice) {
                    NDIndex slice = new NDIndex().addSliceDim(from, Math.min(rows, from + rowsPerSlice));
                    NDList parts = new NDList(weight.get(slice), grad.get(slice), state.get(0).get(slice),
                            state.get(1).get(slice));
                    parts.attach(views);
                    adam(parts.get(0), parts.get(1), parts.get(2), parts.get(3), biasCorrected);
                }
            }
            JniUtils.zeroGrad((PtNDArray) weight);
        }
        flushTinyMoments(t, state);
    }

    /**
     * Lazy Adam on some rows of a weight (PyTorch's SparseAdam): the rows {@code rows} (distinct) of {@code weight}
     * and of its moments take one Adam step with the gradient {@code rowGradient}; every other row and its moments stay
     * as they are. The step count, and so the bias correction, is the weight's number of such updates, as in
     * SparseAdam. The rows are copied out, updated by the same kernel as a whole weight, and written back.
     */
    void updateRows(String parameterId, NDArray weight, NDArray rows, NDArray rowGradient) {
        int t = updateCount(parameterId);
        double coef1 = 1.0 - Math.pow(beta1, t);
        double coef2 = 1.0 - Math.pow(beta2, t);
        NDList state = moments(parameterId, weight);
        try (GradMode off = GradMode.off(); NDManager scratch = weight.getManager().newSubManager()) {
            NDIndex at = new NDIndex("{}", rows);
            NDArray w = weight.get(scratch, at);
            NDArray mean = state.get(0).get(scratch, at);
            NDArray variance = state.get(1).get(scratch, at);
            if (fusable(w, rowGradient, mean, variance)) {
                fusedAdam(parameterId, weight, w, rowGradient, mean, variance, coef2);
            } else {
                adam(w, rowGradient, mean, variance, (float) (learningRate * Math.sqrt(coef2) / coef1));
            }
            flushTinyMoments(t, new NDList(mean, variance));
            weight.set(at, w);
            state.get(0).set(at, mean);
            state.get(1).set(at, variance);
        }
    }

    /**
     * Whether libtorch's fused kernel can take this update: a CPU float32 weight, gradient and moments of one shape,
     * each contiguous, and no gradient rescaling or clipping (which the kernel does not do as DJL's does).
     */
    private boolean fusable(NDArray weight, NDArray grad, NDArray mean, NDArray variance) {
        return fused && rescaleGrad == 1f && clipGrad < 0 && grad.getShape().equals(weight.getShape())
                && FusedAdam.available() && FusedAdam.contiguous(weight) && FusedAdam.contiguous(grad)
                && FusedAdam.contiguous(mean) && FusedAdam.contiguous(variance);
    }

    /**
     * libtorch's fused kernel on weight (the parameter's whole array, or a copy of some of its rows) and its moments,
     * counting one more update of the parameter {@code owner}. The kernel adds ε to sqrt(v) / sqrt(1 - β2^t), DJL's
     * update to sqrt(v): it is given ε / sqrt(coef2), coef2 = 1 - β2^t, so both update alike.
     */
    private void fusedAdam(String parameterId, NDArray owner, NDArray weight, NDArray grad, NDArray mean,
                           NDArray variance, double coef2) {
        NDArray step = steps.computeIfAbsent(parameterId, k -> owner.getManager().create(0f));
        step.addi(1f);
        FusedAdam.update(weight, grad, mean, variance, step, learningRate, beta1, beta2, getWeightDecay(),
                epsilon / Math.sqrt(coef2));
    }

    private void flushTinyMoments(int t, NDList state) {
        if (t % FLUSH_EVERY == 0) {
            for (NDArray moment : state) {
                // both temporaries closed here: they belong to the weight's manager, which lives as long as the model
                try (NDArray magnitude = moment.abs(); NDArray keep = magnitude.gte(TINY)) {
                    moment.muli(keep);
                }
            }
        }
    }

    /** DJL's fused Adam kernel on one array (it then zeroes that array's own gradient, where it has one). */
    private void adam(NDArray weight, NDArray grad, NDArray mean, NDArray variance, float biasCorrected) {
        weight.getNDArrayInternal().adamUpdate(new NDList(weight, grad, mean, variance), new NDList(weight),
                learningRate, biasCorrected, getWeightDecay(), rescaleGrad, clipGrad, beta1, beta2, epsilon, true,
                false);
    }

    /** The moment estimates of a parameter, zero before its first update. */
    private NDList moments(String parameterId, NDArray weight) {
        return moments.computeIfAbsent(parameterId, k -> {
            NDManager owner = weight.getManager();
            NDList s = new NDList(weight.zerosLike(), weight.zerosLike());
            s.attach(owner);
            return s;
        });
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
