package io.caas.engine.compress.tensor;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The validated parameters of one tucker, cp or tt run.
 *
 * @param target             the rank rule for layers without explicit ranks
 * @param targetParameters   a whole-model parameter budget, which then chooses one ratio for every layer
 * @param ranks              explicit ranks per layer name
 * @param layers             layers named by the user, or empty for every eligible one
 * @param skipFirstAndLast   leave the first conv and the last weighted layer as they are (ignored when layers are named)
 * @param onlyIfSmaller      leave a layer as it is where the chain would not have fewer parameters
 * @param fineTune           fine-tune the factorized model on the job's training data, if it has any
 * @param sensitivitySamples samples on which each layer's output change is measured alone; 0 for none
 * @param iterations         HOOI sweeps (tucker) or the ALS sweep limit (cp); unused by tt
 */
record TensorParameters(RankTarget target, OptionalLong targetParameters, Map<String, int[]> ranks,
                        Set<String> layers, boolean skipFirstAndLast, boolean onlyIfSmaller, boolean fineTune, int sensitivitySamples, int iterations) {

    static final String ENERGY = "energy";
    static final String RATIO = "ratio";
    static final String RANKS = "ranks";
    static final String TARGET_PARAMETERS = RankBudget.TARGET_PARAMETERS;
    static final String LAYERS = "layers";
    static final String SKIP_FIRST_AND_LAST = "skipFirstAndLast";
    static final String ONLY_IF_SMALLER = "onlyIfSmaller";
    static final String FINE_TUNE = "fineTune";
    static final String SENSITIVITY_SAMPLES = "sensitivitySamples";
    static final String HOOI_ITERATIONS = "hooiIterations";
    static final String ALS_ITERATIONS = "alsIterations";

    /** The parameters that choose the layers' sizes. */
    static final Set<String> SIZE_PARAMETERS = Set.of(ENERGY, RATIO, RANKS, TARGET_PARAMETERS);

    /** See {@link TensorMethod#DEFAULT_RATIO}. */
    static final double DEFAULT_RATIO = TensorMethod.DEFAULT_RATIO;
    static final int DEFAULT_SENSITIVITY_SAMPLES = 32;
    static final int MAX_SENSITIVITY_SAMPLES = 1000;
    static final int DEFAULT_HOOI_ITERATIONS = 2;
    static final int MAX_HOOI_ITERATIONS = 50;
    static final int DEFAULT_ALS_ITERATIONS = 50;
    static final int MAX_ALS_ITERATIONS = 1000;

    /** Layers a kernel decomposition can split: ungrouped convs with a kernel larger than 1×1. */
    static boolean eligible(WeightedLayer layer) {
        return layer.kind() == LayerKind.CONV && layer.weightShape().size() == 4
                && layer.weightShape().get(2) * layer.weightShape().get(3) > 1;
    }

    static TensorParameters parse(Map<String, Object> params, ModelSummary model, TensorMethod.Variant variant) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        String iterationsKey = variant == TensorMethod.Variant.TUCKER ? HOOI_ITERATIONS
                : variant == TensorMethod.Variant.CP ? ALS_ITERATIONS : null;
        Set<String> known = new LinkedHashSet<>(List.of(ENERGY, RATIO, RANKS, TARGET_PARAMETERS, LAYERS, SKIP_FIRST_AND_LAST,
                ONLY_IF_SMALLER, FINE_TUNE, SENSITIVITY_SAMPLES));
        if (iterationsKey != null) {
            known.add(iterationsKey);
        }
        ParameterValues.unknownKeys(p, known, variant.methodName(), problems);
        if (p.get(ENERGY) != null && p.get(RATIO) != null) {
            problems.add("give only one of energy and ratio");
        }
        RankTarget target = new RankTarget.Ratio(DEFAULT_RATIO);
        if (p.get(ENERGY) != null) {
            target = new RankTarget.Energy(ParameterValues.fraction(p.get(ENERGY), ENERGY, problems));
        }
        if (p.get(RATIO) != null) {
            target = new RankTarget.Ratio(ParameterValues.fraction(p.get(RATIO), RATIO, problems));
        }
        OptionalLong targetParameters = OptionalLong.empty();
        if (p.get(TARGET_PARAMETERS) != null) {
            long count = ParameterValues.count(p.get(TARGET_PARAMETERS), TARGET_PARAMETERS, problems);
            targetParameters = count > 0 ? OptionalLong.of(count) : OptionalLong.empty();
            List<String> others = List.of(ENERGY, RATIO, RANKS).stream().filter(k -> p.get(k) != null).toList();
            if (!others.isEmpty()) {
                problems.add("targetParameters chooses every layer's ranks: give it without "
                        + String.join(" and ", others));
            }
        }
        Set<String> layers = ParameterValues.layerNames(p.get(LAYERS), model, variant.methodName(), problems);
        for (String name : layers) {
            eligibility(name, model, variant, problems);
        }
        Map<String, int[]> ranks = ranks(p.get(RANKS), model, variant, problems);
        boolean skip = ParameterValues.bool(p.get(SKIP_FIRST_AND_LAST), SKIP_FIRST_AND_LAST, true, problems);
        boolean onlyIfSmaller = ParameterValues.bool(p.get(ONLY_IF_SMALLER), ONLY_IF_SMALLER, true, problems);
        boolean fineTune = ParameterValues.bool(p.get(FINE_TUNE), FINE_TUNE, false, problems);
        int samples = integer(p.get(SENSITIVITY_SAMPLES), SENSITIVITY_SAMPLES, DEFAULT_SENSITIVITY_SAMPLES, 0,
                MAX_SENSITIVITY_SAMPLES, problems);
        int iterations = switch (variant) {
            case TUCKER -> integer(p.get(HOOI_ITERATIONS), HOOI_ITERATIONS, DEFAULT_HOOI_ITERATIONS, 0,
                    MAX_HOOI_ITERATIONS, problems);
            case CP -> integer(p.get(ALS_ITERATIONS), ALS_ITERATIONS, DEFAULT_ALS_ITERATIONS, 1, MAX_ALS_ITERATIONS,
                    problems);
            case TT -> 0;
        };
        if (model.layers().stream().noneMatch(TensorParameters::eligible)) {
            problems.add("the model has no Conv layer with group 1 and a kernel larger than 1x1 for "
                    + variant.methodName() + " to decompose (1x1 convolutions are dense layers: use svd)"
                    + ParameterValues.insideSubgraphs(model, variant.methodName(), TensorParameters::eligible));
        }
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new TensorParameters(target, targetParameters, ranks, layers, skip, onlyIfSmaller, fineTune, samples,
                iterations);
    }

    private static void eligibility(String name, ModelSummary model, TensorMethod.Variant variant,
                                    List<String> problems) {
        model.layers().stream().filter(l -> l.node().equals(name)).findFirst().ifPresent(l -> {
            if (!eligible(l)) {
                problems.add("layer '" + name + "' is not a Conv with group 1 and a kernel larger than 1x1, which "
                        + variant.methodName() + " needs" + (l.kind() == LayerKind.CONV
                        ? " (a 1x1 convolution is a dense layer over channels: use svd)" : ""));
            }
        });
    }

    /** {"layer": [r, ...]}: each layer eligible, each list as long as the method's ranks, each rank ≥ 1. */
    private static Map<String, int[]> ranks(Object raw, ModelSummary model, TensorMethod.Variant variant,
                                            List<String> problems) {
        Map<String, int[]> out = new LinkedHashMap<>();
        if (raw == null) {
            return out;
        }
        if (!(raw instanceof Map<?, ?> map) || map.isEmpty()) {
            problems.add("ranks must be an object from layer name to a list of " + variant.rankCount() + " ranks "
                    + variant.rankMeaning() + ", got " + raw);
            return out;
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (model.layers().stream().noneMatch(l -> l.node().equals(name))) {
                problems.add("ranks names unknown layer '" + name + "'");
                continue;
            }
            eligibility(name, model, variant, problems);
            List<?> values = e.getValue() instanceof Collection<?> c ? List.copyOf(c)
                    : e.getValue() instanceof Number n ? List.of(n) : List.of();
            if (values.size() != variant.rankCount()) {
                problems.add("ranks of '" + name + "' must be " + variant.rankCount() + " positive integers "
                        + variant.rankMeaning() + ", got " + e.getValue());
                continue;
            }
            int[] r = new int[values.size()];
            for (int k = 0; k < r.length; k++) {
                Double v = ParameterValues.number(values.get(k));
                if (v == null || v < 1 || v != Math.rint(v) || v > Integer.MAX_VALUE) {
                    problems.add("ranks of '" + name + "' must be positive integers, got " + values.get(k));
                    r = null;
                    break;
                }
                r[k] = v.intValue();
            }
            if (r != null) {
                out.put(name, r);
            }
        }
        return out;
    }

    private static int integer(Object raw, String name, int fallback, int min, int max, List<String> problems) {
        if (raw == null) {
            return fallback;
        }
        Double v = ParameterValues.number(raw);
        if (v == null || v != Math.rint(v) || v < min || v > max) {
            problems.add(name + " must be an integer in [" + min + ", " + max + "], got " + raw);
            return fallback;
        }
        return v.intValue();
    }
}
