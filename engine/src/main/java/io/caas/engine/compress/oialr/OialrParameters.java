package io.caas.engine.compress.oialr;

import io.caas.engine.compress.AccuracyGuard;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.SpeedCheckParameters;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.onnx.ModelSummary;
import java.util.ArrayList;
import java.util.LinkedHashSet;
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

    static final String FREQUENCY = "frequency";
    static final String SIGMA_CUTOFF = "sigmaCutoff";
    static final String MIN_RANK = "minRank";
    static final String LAYERS = "layers";
    static final String SKIP_FIRST_AND_LAST = "skipFirstAndLast";
    static final String TARGET_PARAMETERS = RankBudget.TARGET_PARAMETERS;
    static final String ONLY_IF_FASTER = SpeedCheckParameters.ONLY_IF_FASTER;
    static final String TIMING_BATCH_SIZE = SpeedCheckParameters.TIMING_BATCH_SIZE;
    static final String MAX_ACCURACY_DROP = "maxAccuracyDrop";
    static final Set<String> KNOWN = new LinkedHashSet<>(List.of(FREQUENCY, SIGMA_CUTOFF, MIN_RANK, LAYERS,
            SKIP_FIRST_AND_LAST, TARGET_PARAMETERS, MAX_ACCURACY_DROP, ONLY_IF_FASTER, TIMING_BATCH_SIZE));

    static OialrParameters parse(Map<String, Object> params, ModelSummary model) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, KNOWN, "oialr", problems);
        int frequency = integer(p.get(FREQUENCY), FREQUENCY, OialrMethod.DEFAULT_FREQUENCY, 1, problems);
        int minRank = integer(p.get(MIN_RANK), MIN_RANK, OialrMethod.DEFAULT_MIN_RANK, 1, problems);
        double cutoff = OialrMethod.DEFAULT_SIGMA_CUTOFF;
        if (p.get(SIGMA_CUTOFF) != null) {
            Double v = ParameterValues.number(p.get(SIGMA_CUTOFF));
            if (v == null || !(v > 0 && v < 1)) {
                problems.add(SIGMA_CUTOFF + " must be a number in (0, 1), got " + p.get(SIGMA_CUTOFF));
            } else {
                cutoff = v;
            }
        }
        boolean skip = ParameterValues.bool(p.get(SKIP_FIRST_AND_LAST), SKIP_FIRST_AND_LAST, true, problems);
        Set<String> layers = ParameterValues.layerNames(p.get(LAYERS), model, "oialr",
                LowRankLayers::eligible, true, problems);
        long target = p.get(TARGET_PARAMETERS) == null ? 0
                : ParameterValues.count(p.get(TARGET_PARAMETERS), TARGET_PARAMETERS, problems);
        boolean onlyIfFaster = ParameterValues.bool(p.get(ONLY_IF_FASTER), ONLY_IF_FASTER, true, problems);
        int timingBatch = SpeedCheckParameters.timingBatchSize(p.get(TIMING_BATCH_SIZE), problems);
        if (LayerSite.layers(model).isEmpty()) {
            problems.add(ParameterValues.noFactorizableLayer(model, "oialr"));
        }
        double maxDrop = p.get(MAX_ACCURACY_DROP) != null
                ? ParameterValues.fraction(p.get(MAX_ACCURACY_DROP), MAX_ACCURACY_DROP, problems)
                : p.get(TARGET_PARAMETERS) == null && p.get(SIGMA_CUTOFF) == null ? AccuracyGuard.DEFAULT_MAX_DROP
                : Double.NaN;
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new OialrParameters(frequency, cutoff, minRank, layers, skip, Math.max(0, target), onlyIfFaster,
                timingBatch, maxDrop);
    }

    private static int integer(Object raw, String name, int fallback, int min, List<String> problems) {
        if (raw == null) {
            return fallback;
        }
        Double v = ParameterValues.number(raw);
        if (v == null || v != Math.rint(v) || v < min || v > Integer.MAX_VALUE) {
            problems.add(name + " must be an integer ≥ " + min + ", got " + raw);
            return fallback;
        }
        return v.intValue();
    }
}
