package io.caas.engine.compress.tensor;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.MethodParameter;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

    /** See {@link TensorMethod#DEFAULT_RATIO}. */
    static final double DEFAULT_RATIO = TensorMethod.DEFAULT_RATIO;
    static final int DEFAULT_SENSITIVITY_SAMPLES = 32;
    static final int MAX_SENSITIVITY_SAMPLES = 1000;
    static final int DEFAULT_HOOI_ITERATIONS = 2;
    static final int MAX_HOOI_ITERATIONS = 50;
    static final int DEFAULT_ALS_ITERATIONS = 50;
    static final int MAX_ALS_ITERATIONS = 1000;

    static final MethodParameter RATIO = MethodParameter.fraction("ratio", DEFAULT_RATIO,
            "Fraction of each layer's kernel parameters to keep; the ranks are the largest that fit. Used unless "
                + "energy or targetParameters is given.",
            "chosen: a predictable size; trained kernels' flat spectra make energy rules keep nearly full ranks "
                + "(see BENCHMARKS.md)");

    static final MethodParameter ENERGY = MethodParameter.fraction("energy", null,
            "Instead of ratio: keep at least this fraction of each kernel's squared norm, so that its relative "
                + "error is at most sqrt(1 - energy).",
            "Eckart-Young for the truncated SVDs; " + TensorDescriptors.PAPER);

    static final String RANKS = "ranks";

    static final MethodParameter TARGET_PARAMETERS = MethodParameter.integer(RankBudget.TARGET_PARAMETERS, null, 1,
            null,
            "Instead of ratio, energy and ranks: the whole model's parameter count to stay at or under. Every "
                + "decomposed layer takes the same ratio, the largest whose model fits (layers left alone and "
                + "layers that would not shrink count as they are); a count below the smallest ranks' model is "
                + "refused, naming it. A job's target.compressionRatio sets this when no size parameter is given.",
            "chosen: one uniform ratio, the rule ratio already follows, found by bisection");

    static final MethodParameter LAYERS = MethodParameter.names("layers",
            "Decompose only these layers (Conv node names with a kernel larger than 1x1).");

    static final MethodParameter SKIP_FIRST_AND_LAST = MethodParameter.bool("skipFirstAndLast", true,
            "Leave the first convolution and the last weighted layer as they are: they hold few parameters and "
                + "their error reaches the output undamped (the first conv is also the most sensitive layer, see "
                + "sensitivitySamples).",
            "common practice in low-rank CNN compression (Denton et al. 2014, Kim et al. 2016)");

    static final MethodParameter ONLY_IF_SMALLER = MethodParameter.bool("onlyIfSmaller", true,
            "Leave a layer as it is where its chain would not have fewer parameters than its kernel.", null);

    static final MethodParameter FINE_TUNE = MethodParameter.bool("fineTune", false,
            "After decomposing, fine-tune the whole model (every factor conv included) on the job's training data "
                + "within its budget: cross-entropy with labels, else distillation of the original's outputs "
                + "(MSE). Budget defaults: Adam 1e-3, batch 64, 1 epoch. Ignored without training data.",
            "as svd's fineTune; fine-tuning after decomposition as in Kim et al. 2016 and "
                + TensorDescriptors.PAPER);

    static final MethodParameter SENSITIVITY_SAMPLES = MethodParameter.integer("sensitivitySamples",
            (long) DEFAULT_SENSITIVITY_SAMPLES, 0, (long) MAX_SENSITIVITY_SAMPLES,
            "For each decomposed layer, the output change when that layer alone is decomposed, measured in ONNX "
                + "Runtime on this many samples of the evaluation data (with the accuracy drop where it is "
                + "labelled) or of seeded random inputs (symbolic dims 64); written to the layer's note. 0 skips "
                + "it.",
            TensorDescriptors.PAPER + " (early layers are the sensitive ones)");

    static final MethodParameter HOOI_ITERATIONS = MethodParameter.integer("hooiIterations",
            (long) DEFAULT_HOOI_ITERATIONS, 0, (long) MAX_HOOI_ITERATIONS,
            "HOOI sweeps refining the HOSVD factors (0: plain truncated HOSVD). Each sweep cannot raise the "
                + "kernel's error.",
            "Kolda and Bader 2009, section 4.2 (HOOI)");

    static final MethodParameter ALS_ITERATIONS = MethodParameter.integer("alsIterations",
            (long) DEFAULT_ALS_ITERATIONS, 1, (long) MAX_ALS_ITERATIONS,
            "Most ALS sweeps per fit; a fit stops earlier once a sweep improves the relative error by less than "
                + "1e-7. With energy, the rank is searched by bisection, one fit per step.",
            "chosen: the fit on trained kernels changes little after a few dozen sweeps");

    /** The parameters that choose the layers' sizes. */
    static final Set<String> SIZE_PARAMETERS = Set.of(ENERGY.name(), RATIO.name(), RANKS,
            TARGET_PARAMETERS.name());

    /** Every parameter a variant takes, in the order {@code GET /v1/methods} lists them. */
    static List<MethodParameter> of(TensorMethod.Variant variant) {
        List<MethodParameter> all = new ArrayList<>(List.of(RATIO, ENERGY, ranks(variant), TARGET_PARAMETERS, LAYERS,
                SKIP_FIRST_AND_LAST, ONLY_IF_SMALLER, FINE_TUNE, SENSITIVITY_SAMPLES));
        iterations(variant).ifPresent(all::add);
        return List.copyOf(all);
    }

    /** The sweeps parameter of a variant that iterates: tucker's HOOI, cp's ALS. */
    private static Optional<MethodParameter> iterations(TensorMethod.Variant variant) {
        return switch (variant) {
            case TUCKER -> Optional.of(HOOI_ITERATIONS);
            case CP -> Optional.of(ALS_ITERATIONS);
            case TT -> Optional.empty();
        };
    }

    private static MethodParameter ranks(TensorMethod.Variant variant) {
        String example = switch (variant) {
            case CP -> "[16]";
            case TUCKER -> "[8, 16]";
            case TT -> "[8, 12, 16]";
        };
        return MethodParameter.object(RANKS, "Explicit ranks " + variant.rankMeaning() + " per layer name, e.g. "
                + "{\"conv_3\": " + example + "}; capped where the kernel's shape allows fewer. Other layers follow "
                + "ratio or energy.");
    }

    /** Layers a kernel decomposition can split: ungrouped convs with a kernel larger than 1×1. */
    static boolean eligible(WeightedLayer layer) {
        return layer.kind() == LayerKind.CONV && layer.weightShape().size() == 4
                && layer.weightShape().get(2) * layer.weightShape().get(3) > 1;
    }

    static TensorParameters parse(Map<String, Object> params, ModelSummary model, TensorMethod.Variant variant) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, of(variant), variant.methodName(), problems);
        if (ENERGY.given(p) && RATIO.given(p)) {
            problems.add("give only one of energy and ratio");
        }
        double energy = ENERGY.readNumber(p, problems);
        double ratio = RATIO.readNumber(p, problems);
        RankTarget target = ENERGY.given(p) && !RATIO.given(p) ? new RankTarget.Energy(energy)
                : new RankTarget.Ratio(ratio);
        OptionalLong targetParameters = OptionalLong.empty();
        if (TARGET_PARAMETERS.given(p)) {
            long count = TARGET_PARAMETERS.readLong(p, problems);
            targetParameters = count > 0 ? OptionalLong.of(count) : OptionalLong.empty();
            List<String> others = List.of(ENERGY.name(), RATIO.name(), RANKS).stream().filter(k -> p.get(k) != null)
                    .toList();
            if (!others.isEmpty()) {
                problems.add("targetParameters chooses every layer's ranks: give it without "
                        + String.join(" and ", others));
            }
        }
        Set<String> layers = ParameterValues.layerNames(LAYERS.raw(p), model, variant.methodName(), problems);
        for (String name : layers) {
            eligibility(name, model, variant, problems);
        }
        Map<String, int[]> ranks = ranks(p.get(RANKS), model, variant, problems);
        boolean skip = SKIP_FIRST_AND_LAST.readBoolean(p, problems);
        boolean onlyIfSmaller = ONLY_IF_SMALLER.readBoolean(p, problems);
        boolean fineTune = FINE_TUNE.readBoolean(p, problems);
        int samples = SENSITIVITY_SAMPLES.readInt(p, problems);
        int iterations = iterations(variant).map(sweeps -> sweeps.readInt(p, problems)).orElse(0);
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
}
