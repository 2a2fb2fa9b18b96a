package io.caas.engine.compress.bilinear;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.MethodParameter;
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
import java.util.stream.Stream;

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

    static final MethodParameter RANK = MethodParameter.integer("rank", null, 1, null,
            "Joint dimension d for every bilinear layer; the layer keeps d·(in_x + in_y + out) parameters. "
                + "Overrides ratio.",
            "Kim et al. 2017 (arXiv 1610.04325), the rank d of the Hadamard product");

    static final MethodParameter RATIO = MethodParameter.fraction("ratio", BilinearMethod.DEFAULT_RATIO,
            "Share of each bilinear weight's parameters to keep: d is the largest rank within it.",
            "chosen; measured on a Fashion-MNIST fusion model");

    static final MethodParameter TARGET_PARAMETERS = MethodParameter.integer(RankBudget.TARGET_PARAMETERS, null, 1, null,
            "Instead of rank and ratio: the whole model's parameter count to stay at or under. Every "
                + "factorized layer takes the same ratio, the largest whose model fits (layers left "
                + "dense count as they are); a count below the model at rank 1 is refused, naming it. "
                + "A job's target.compressionRatio sets this when no rank or ratio is given.",
            "chosen: one uniform ratio, the rule ratio already follows, found by bisection");

    static final MethodParameter SWEEPS = MethodParameter.integer("sweeps", (long) BilinearMethod.DEFAULT_SWEEPS, 1, null,
            "Most alternating-least-squares sweeps when fitting U, V, P to W (stops early once the fit "
                + "error stalls).",
            "chosen");

    static final MethodParameter LAYERS = MethodParameter.names("layers",
            "Factorize only these bilinear layers (node names from the model summary).");

    static final MethodParameter FINE_TUNE = MethodParameter.bool("fineTune", true,
            "Fine-tune the factorized model on the job's training data, if it has any.",
            "chosen");

    /** Every parameter bilinear takes, in the order {@code GET /v1/methods} lists them. */
    static final List<MethodParameter> ALL = List.of(RANK, RATIO, TARGET_PARAMETERS, SWEEPS, LAYERS, FINE_TUNE);
    /** The parameters that choose the layers' sizes. */
    static final Set<String> SIZE_PARAMETERS = Set.of(RANK.name(), RATIO.name(), TARGET_PARAMETERS.name());

    static BilinearParameters parse(Map<String, Object> params, ModelSummary model) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, ALL, "bilinear", problems);
        int rank = RANK.given(p) ? RANK.readInt(p, problems) : 0;
        double ratio = RATIO.readNumber(p, problems);
        if (RANK.given(p) && RATIO.given(p)) {
            problems.add("give rank or ratio, not both");
        }
        OptionalLong targetParameters = OptionalLong.empty();
        if (TARGET_PARAMETERS.given(p)) {
            long count = TARGET_PARAMETERS.readLong(p, problems);
            targetParameters = count > 0 ? OptionalLong.of(count) : OptionalLong.empty();
            List<String> others = Stream.of(RANK, RATIO).filter(k -> k.given(p)).map(MethodParameter::name).toList();
            if (!others.isEmpty()) {
                problems.add("targetParameters chooses every layer's rank: give it without "
                        + String.join(" and ", others));
            }
        }
        int sweeps = SWEEPS.readInt(p, problems);
        boolean fineTune = FINE_TUNE.readBoolean(p, problems);
        List<WeightedLayer> bilinear = model.layers().stream().filter(l -> l.kind() == LayerKind.BILINEAR).toList();
        if (bilinear.isEmpty()) {
            problems.add("the model has no bilinear layer (an Einsum such as \"bi,kij,bj->bk\" of two activations "
                    + "and a 3-D float weight, or PyTorch's MatMul form: MatMul(x, W), Reshape to [N, k, j], "
                    + "Unsqueeze(y) with Mul + ReduceSum or MatMul + Squeeze) for bilinear to factorize");
        }
        Set<String> layers = layerNames(LAYERS.raw(p), bilinear, problems);
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
        List<String> names = ParameterValues.nameList(raw, LAYERS.name(), "layer", problems);
        if (names == null) {
            return Set.of();
        }
        if (names.isEmpty()) {
            problems.add(LAYERS.name() + " is empty; leave it out for every bilinear layer");
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
}
