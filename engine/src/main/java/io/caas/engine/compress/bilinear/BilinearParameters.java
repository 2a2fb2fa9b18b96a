package io.caas.engine.compress.bilinear;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The validated parameters of one bilinear run (the fine-tuning budget comes separately, from the task).
 *
 * @param rank     the joint dimension d for every layer, or 0 to derive it from {@code ratio}
 * @param ratio    share of each layer's weight parameters to keep, used when no rank is given
 * @param targetParameters a whole-model parameter budget, which then chooses the ratio
 * @param sweeps   most ALS sweeps when fitting the factors
 * @param layers   bilinear layers named by the user, or empty for every one
 * @param fineTune fine-tune the factorized model on the job's training data, if it has any
 */
record BilinearParameters(int rank, double ratio, OptionalLong targetParameters, int sweeps, Set<String> layers,
                          boolean fineTune) {

    static final String RANK = "rank";
    static final String RATIO = "ratio";
    static final String TARGET_PARAMETERS = RankBudget.TARGET_PARAMETERS;
    static final String SWEEPS = "sweeps";
    static final String LAYERS = "layers";
    static final String FINE_TUNE = "fineTune";
    static final Set<String> KNOWN = new LinkedHashSet<>(List.of(RANK, RATIO, TARGET_PARAMETERS, SWEEPS, LAYERS,
            FINE_TUNE));
    /** The parameters that choose the layers' sizes. */
    static final Set<String> SIZE_PARAMETERS = Set.of(RANK, RATIO, TARGET_PARAMETERS);

    static BilinearParameters parse(Map<String, Object> params, ModelSummary model) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, KNOWN, "bilinear", problems);
        int rank = integer(p.get(RANK), RANK, 0, problems);
        double ratio = BilinearMethod.DEFAULT_RATIO;
        if (p.get(RATIO) != null) {
            Double v = ParameterValues.number(p.get(RATIO));
            if (v == null || !(v > 0 && v <= 1)) {
                problems.add(RATIO + " must be a number in (0, 1], got " + p.get(RATIO));
            } else {
                ratio = v;
            }
        }
        if (p.get(RANK) != null && p.get(RATIO) != null) {
            problems.add("give rank or ratio, not both");
        }
        OptionalLong targetParameters = OptionalLong.empty();
        if (p.get(TARGET_PARAMETERS) != null) {
            long count = ParameterValues.count(p.get(TARGET_PARAMETERS), TARGET_PARAMETERS, problems);
            targetParameters = count > 0 ? OptionalLong.of(count) : OptionalLong.empty();
            List<String> others = List.of(RANK, RATIO).stream().filter(k -> p.get(k) != null).toList();
            if (!others.isEmpty()) {
                problems.add("targetParameters chooses every layer's rank: give it without "
                        + String.join(" and ", others));
            }
        }
        int sweeps = p.get(SWEEPS) == null ? BilinearMethod.DEFAULT_SWEEPS : integer(p.get(SWEEPS), SWEEPS, 0,
                problems);
        boolean fineTune = ParameterValues.bool(p.get(FINE_TUNE), FINE_TUNE, true, problems);
        List<WeightedLayer> bilinear = model.layers().stream().filter(l -> l.kind() == LayerKind.BILINEAR).toList();
        if (bilinear.isEmpty()) {
            problems.add("the model has no bilinear layer (an Einsum such as \"bi,kij,bj->bk\" of two activations "
                    + "and a 3-D float weight, or PyTorch's MatMul form: MatMul(x, W), Reshape to [N, k, j], "
                    + "Unsqueeze(y) with Mul + ReduceSum or MatMul + Squeeze) for bilinear to factorize");
        }
        Set<String> layers = layerNames(p.get(LAYERS), bilinear, problems);
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new BilinearParameters(rank, ratio, targetParameters, sweeps, layers, fineTune);
    }

    /** These parameters with the ratio a budget chose. */
    BilinearParameters withRatio(double chosen) {
        return new BilinearParameters(rank, chosen, targetParameters, sweeps, layers, fineTune);
    }

    /** The rank for one layer: the given one, or the largest that keeps at most {@code ratio} of its parameters. */
    int rankFor(long out, long in1, long in2) {
        if (rank > 0) {
            return rank;
        }
        return rankForRatio(ratio, out, in1, in2);
    }

    /** The largest rank within {@code ratio} of an out × in1 × in2 weight's parameters (at least 1). */
    static int rankForRatio(double ratio, long out, long in1, long in2) {
        return (int) Math.max(1, Math.floor(ratio * out * in1 * in2 / (out + in1 + in2)));
    }

    private static Set<String> layerNames(Object raw, List<WeightedLayer> bilinear, List<String> problems) {
        if (raw == null) {
            return Set.of();
        }
        List<String> names = ParameterValues.nameList(raw, LAYERS, "layer", problems);
        if (names == null) {
            return Set.of();
        }
        if (names.isEmpty()) {
            problems.add(LAYERS + " is empty; leave it out for every bilinear layer");
        }
        Set<String> known = new HashSet<>();
        bilinear.forEach(l -> known.add(l.node()));
        Set<String> unknown = new LinkedHashSet<>();
        for (String name : names) {
            if (!known.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            problems.add(ParameterValues.quoted(unknown) + (unknown.size() == 1 ? " is not a bilinear layer"
                    : " are not bilinear layers") + " of the model; its bilinear layers are "
                    + bilinear.stream().map(WeightedLayer::node).limit(20).toList());
        }
        return new LinkedHashSet<>(names);
    }

    private static int integer(Object raw, String name, int fallback, List<String> problems) {
        if (raw == null) {
            return fallback;
        }
        Double v = ParameterValues.number(raw);
        if (v == null || v != Math.rint(v) || v < 1 || v > Integer.MAX_VALUE) {
            problems.add(name + " must be an integer ≥ 1, got " + raw);
            return fallback;
        }
        return v.intValue();
    }
}
