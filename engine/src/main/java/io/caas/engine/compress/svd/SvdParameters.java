package io.caas.engine.compress.svd;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.onnx.ModelSummary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated parameters of one svd run.
 *
 * @param rule             how each layer's rank is chosen
 * @param value            the energy, ratio, rank or whole-model parameter count the rule uses
 * @param layers           layers named by the user, or empty for "every eligible layer"
 * @param skipFirstAndLast leave the first conv and the last weighted layer dense (ignored when layers are named)
 * @param onlyIfSmaller    leave a layer dense where the factors would not be smaller than the weight
 * @param fineTune         fine-tune the factorized model on the job's training data, if it has any
 */
record SvdParameters(RankRule rule, double value, Set<String> layers, boolean skipFirstAndLast,
                     boolean onlyIfSmaller, boolean fineTune) {

    enum RankRule { ENERGY, RATIO, RANK, TARGET_PARAMETERS }

    static final String ENERGY = "energy";
    static final String RATIO = "ratio";
    static final String RANK = "rank";
    static final String TARGET_PARAMETERS = RankBudget.TARGET_PARAMETERS;
    static final String LAYERS = "layers";
    static final String SKIP_FIRST_AND_LAST = "skipFirstAndLast";
    static final String ONLY_IF_SMALLER = "onlyIfSmaller";
    static final String FINE_TUNE = "fineTune";
    /** The alternative ways to choose the size, of which a request gives at most one. */
    static final Set<String> SIZE_RULES = Collections.unmodifiableSet(new LinkedHashSet<>(List.of(ENERGY, RATIO,
            RANK, TARGET_PARAMETERS)));
    static final Set<String> KNOWN = new LinkedHashSet<>(List.of(ENERGY, RATIO, RANK, TARGET_PARAMETERS, LAYERS,
            SKIP_FIRST_AND_LAST, ONLY_IF_SMALLER, FINE_TUNE));

    /** See {@link TruncatedSvdMethod#DEFAULT_ENERGY} for why this value. */
    static final double DEFAULT_ENERGY = TruncatedSvdMethod.DEFAULT_ENERGY;

    static SvdParameters parse(Map<String, Object> params, ModelSummary model) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, KNOWN, "svd", problems);
        List<String> rules = SIZE_RULES.stream().filter(k -> p.get(k) != null).toList();
        if (rules.size() > 1) {
            problems.add("give only one of energy, ratio, rank and targetParameters, not "
                    + String.join(" and ", rules));
        }
        RankRule rule = RankRule.ENERGY;
        double value = DEFAULT_ENERGY;
        if (p.get(ENERGY) != null) {
            value = ParameterValues.fraction(p.get(ENERGY), ENERGY, problems);
        } else if (p.get(RATIO) != null) {
            rule = RankRule.RATIO;
            value = ParameterValues.fraction(p.get(RATIO), RATIO, problems);
        } else if (p.get(RANK) != null) {
            rule = RankRule.RANK;
            value = positiveInteger(p.get(RANK), problems);
        } else if (p.get(TARGET_PARAMETERS) != null) {
            rule = RankRule.TARGET_PARAMETERS;
            value = ParameterValues.count(p.get(TARGET_PARAMETERS), TARGET_PARAMETERS, problems);
        }
        // the other rules are still checked so that every problem is reported at once
        for (String other : rules.stream().skip(1).toList()) {
            if (other.equals(RANK)) {
                positiveInteger(p.get(RANK), problems);
            } else if (other.equals(TARGET_PARAMETERS)) {
                ParameterValues.count(p.get(other), other, problems);
            } else {
                ParameterValues.fraction(p.get(other), other, problems);
            }
        }
        boolean skip = ParameterValues.bool(p.get(SKIP_FIRST_AND_LAST), SKIP_FIRST_AND_LAST, true, problems);
        boolean onlyIfSmaller = ParameterValues.bool(p.get(ONLY_IF_SMALLER), ONLY_IF_SMALLER, true, problems);
        boolean fineTune = ParameterValues.bool(p.get(FINE_TUNE), FINE_TUNE, false, problems);
        Set<String> layers = ParameterValues.layerNames(p.get(LAYERS), model, "svd", problems);
        if (model.layers().stream().noneMatch(TruncatedSvdMethod::factorizable)) {
            problems.add("the model has no Gemm, MatMul or Conv layer with a float weight for svd to factorize");
        }
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new SvdParameters(rule, value, layers, skip, onlyIfSmaller, fineTune);
    }

    private static double positiveInteger(Object raw, List<String> problems) {
        Double v = ParameterValues.number(raw);
        if (v == null || v < 1 || v != Math.rint(v) || v > Integer.MAX_VALUE) {
            problems.add("rank must be a positive integer, got " + raw);
            return Double.NaN;
        }
        return v;
    }
}
