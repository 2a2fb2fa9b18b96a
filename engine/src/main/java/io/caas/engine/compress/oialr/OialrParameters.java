package io.caas.engine.compress.oialr;

import io.caas.engine.compress.AccuracyGuard;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.MethodParameter;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.SpeedCheckParameters;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.onnx.ModelSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated parameters of one oialr run (the training budget comes separately, from the task).
 *
 * @param frequency        optimizer steps between two re-orthogonalisations
 * @param sigmaCutoff      singular values below this fraction of the layer's largest are dropped
 * @param minRank          no layer goes below this rank
 * @param layers           layers named by the user, or empty for every eligible layer
 * @param skipFirstAndLast leave the first conv and the last weighted layer dense (ignored when layers are named)
 * @param targetParameters the whole model's parameter count to reach by the end, or 0 for none
 * @param onlyIfFaster     export a layer in two factors only where that times faster than dense, and the model so
 *                         only where it is faster than the original
 * @param timingBatchSize  the batch size onlyIfFaster times at besides 1
 * @param maxAccuracyDrop  the most top-1 the trained model may lose before the original is returned instead: the
 *                         request's, else {@link AccuracyGuard#DEFAULT_MAX_DROP} where it names no size (neither
 *                         targetParameters nor sigmaCutoff), else NaN for no bound
 */
record OialrParameters(int frequency, double sigmaCutoff, int minRank, Set<String> layers,
                       boolean skipFirstAndLast, long targetParameters, boolean onlyIfFaster, int timingBatchSize,
                       double maxAccuracyDrop) {

    static final MethodParameter FREQUENCY = MethodParameter.integer("frequency", (long) OialrMethod.DEFAULT_FREQUENCY, 1, null,
            "Optimizer steps between two re-orthogonalisations (and rank cuts).",
            "chosen for fine-tuning budgets; the paper tunes it per task");

    static final MethodParameter SIGMA_CUTOFF = MethodParameter.number("sigmaCutoff", OialrMethod.DEFAULT_SIGMA_CUTOFF, 0.0, 1.0,
            "Drop singular values below this fraction of the layer's largest. At most "
                + "half of a layer's rank goes in one step.",
            "Coquelin et al. 2024 (σ cutoff fraction, tuned per task there); 0.2 measured here on a "
                + "trained Fashion-MNIST MLP: 0.1 cut nothing, 0.2 kept 55 % of the parameters").aboveMinimum().belowMaximum();

    static final MethodParameter MIN_RANK = MethodParameter.integer("minRank", (long) OialrMethod.DEFAULT_MIN_RANK, 1, null,
            "No layer is cut below this rank.",
            "chosen");

    static final MethodParameter LAYERS = MethodParameter.names("layers",
            "Train only these layers in low-rank form (node names from the model summary).");

    static final MethodParameter TARGET_PARAMETERS = MethodParameter.integer(RankBudget.TARGET_PARAMETERS, null, 1, null,
            "The whole model's parameter count to reach by the end. The allowance falls linearly from "
                + "the dense size to this over the first half of the steps; at each "
                + "re-orthogonalisation the ranks share one relative cut-off τ (the lowest that fits "
                + "the allowance), and σ cutoff still cuts further. The second half trains at the "
                + "target. A job's target.compressionRatio sets this when it is not given.",
            "OIALR's relative cut-off with τ found from the budget; the half-way ramp is chosen");

    static final MethodParameter MAX_ACCURACY_DROP = MethodParameter.fraction("maxAccuracyDrop", AccuracyGuard.DEFAULT_MAX_DROP,
            "The most top-1 the trained model may lose, as a fraction (0.01 = one point): measured "
                + "after training on the first " + AccuracyGuard.SAMPLES + " training samples (with "
                + "labels; without, the share whose top class changed, which bounds the drop), and the "
                + "original is returned unchanged where the loss is larger. The default 0.02 applies "
                + "only where the request names no size (targetParameters or sigmaCutoff), which asks "
                + "for what it costs. A job's target.maxAccuracyDrop sets it.",
            "the service's rule that defaults never lose more than 2 points unless asked; training samples "
                + "(the model's own), so the job's evaluation dataset still measures the result "
                + "independently");

    static final MethodParameter ONLY_IF_FASTER = MethodParameter.bool(SpeedCheckParameters.ONLY_IF_FASTER, true,
            "After training, time each layer's two factors against its dense form in ONNX Runtime (1 "
                + "thread, the layer alone on its real input shape, alternating rounds, median ratio) at "
                + "batch 1 and timingBatchSize, and write the trained layer back dense (the product of "
                + "its factors: the same function) unless they are faster at both; then time the model "
                + "against the original the same way and write every layer back dense unless it is "
                + "faster. On by default, so that oialr never makes a model slower unless asked; false "
                + "exports every layer in two factors where they are smaller. Not applied with "
                + "targetParameters, which asks for a size.",
            "fewer parameters do not make a layer faster: two thin layers can cost more than one");

    static final MethodParameter SKIP_FIRST_AND_LAST = MethodParameter.bool("skipFirstAndLast", true,
            "Leave the first convolution (or, without one, a small input projection: a first dense "
                + "layer under 5 % of the parameters) and the last weighted layer (the classifier) dense.",
            "Coquelin et al. 2024 keep the first and last layers full rank; common practice since "
                + "Denton et al. 2014");

    static final MethodParameter TIMING_BATCH_SIZE = SpeedCheckParameters.TIMING_BATCH_SIZE_PARAMETER;

    /** Every parameter oialr takes, in the order {@code GET /v1/methods} lists them. */
    static final List<MethodParameter> ALL = List.of(FREQUENCY, SIGMA_CUTOFF, MIN_RANK, LAYERS, TARGET_PARAMETERS,
            MAX_ACCURACY_DROP, ONLY_IF_FASTER, TIMING_BATCH_SIZE, SKIP_FIRST_AND_LAST);

    static OialrParameters parse(Map<String, Object> params, ModelSummary model) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, ALL, "oialr", problems);
        int frequency = FREQUENCY.readInt(p, problems);
        int minRank = MIN_RANK.readInt(p, problems);
        double cutoff = SIGMA_CUTOFF.readNumber(p, problems);
        boolean skip = SKIP_FIRST_AND_LAST.readBoolean(p, problems);
        Set<String> layers = ParameterValues.layerNames(LAYERS.raw(p), model, "oialr",
                LowRankLayers::eligible, true, problems);
        long target = TARGET_PARAMETERS.given(p) ? TARGET_PARAMETERS.readLong(p, problems) : 0;
        boolean onlyIfFaster = ONLY_IF_FASTER.readBoolean(p, problems);
        int timingBatch = TIMING_BATCH_SIZE.readInt(p, problems);
        if (LayerSite.layers(model).isEmpty()) {
            problems.add(ParameterValues.noFactorizableLayer(model, "oialr"));
        }
        // the default bound holds only where the request names no size: naming one asks for what it costs
        double maxDrop = MAX_ACCURACY_DROP.given(p) || !TARGET_PARAMETERS.given(p) && !SIGMA_CUTOFF.given(p)
                ? MAX_ACCURACY_DROP.readNumber(p, problems) : Double.NaN;
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new OialrParameters(frequency, cutoff, minRank, layers, skip, Math.max(0, target), onlyIfFaster,
                timingBatch, maxDrop);
    }
}
