package io.caas.engine.compress.tied;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.MethodParameter;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.onnx.ModelSummary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated parameters of one tied run (the training budget comes separately, from the task).
 *
 * @param pairs         the pairs to tie, in node order: those named by the user, else every pair found
 * @param init          where the shared matrix starts
 * @param fineTune      fine-tune after tying, when the job has training data
 * @param trainOnlyTied fine-tune only the shared matrices, every other weight frozen
 */
record TiedParameters(List<TiedPair> pairs, TiedInit init, boolean fineTune, boolean trainOnlyTied) {

    /** Measured: see BENCHMARKS.md "Tied" (the average starts closest to both layers). */
    static final TiedInit DEFAULT_INIT = TiedInit.AVERAGE;

    static final MethodParameter PAIRS = MethodParameter.names("pairs",
            "Tie only these pairs, named by their first layer or as \"first+second\" (the report lists "
                + "the pairs found); every pair found when left out.");

    static final MethodParameter INIT = MethodParameter.choice("init", DEFAULT_INIT.parameterValue(), Arrays.stream(TiedInit.values()).map(TiedInit::parameterValue).toList(),
            "Where W starts: \"average\" (W1 + W2ᵀ)/2, the matrix closest to both in Frobenius norm; "
                + "\"first\" W1; \"second\" W2ᵀ.",
            "Koyun and Töreyin 2024 tie the weights; the initialisation from a trained pair is chosen "
                + "here by measurement (BENCHMARKS.md, Tied)");

    static final MethodParameter FINE_TUNE = MethodParameter.bool("fineTune", true,
            "Fine-tune after tying, on the job's training data within its budget (tying alone moves "
                + "both layers far from their trained values). Without training data the tied model "
                + "is returned untrained.",
            "chosen");

    static final MethodParameter TRAIN_ONLY_TIED = MethodParameter.bool("trainOnlyTied", false,
            "Fine-tune only the shared matrices, every other weight frozen: cheaper steps, and a large "
                + "pretrained model cannot drift elsewhere (e.g. its embedding table).",
            "chosen");

    /** Every parameter tied takes, in the order {@code GET /v1/methods} lists them. */
    static final List<MethodParameter> ALL = List.of(PAIRS, INIT, FINE_TUNE, TRAIN_ONLY_TIED);

    /**
     * @param found the model's pairs as {@link PairFinder} finds them, or null where only the summary is at hand
     *              (request validation): pair names are then checked against the model's layers, and the pairs
     *              themselves when the job runs
     */
    static TiedParameters parse(Map<String, Object> params, ModelSummary summary, List<TiedPair> found) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, ALL, "tied", problems);
        if (found == null ? summary.layers().stream().filter(LowRankLayers::factorizable).count() < 2
                : found.isEmpty()) {
            problems.add("the model has no layer pair d→h→d to tie (a MatMul, Gemm or 1×1 Conv whose output reaches "
                    + "a layer of the same type mapping back to its input size through elementwise operations only)");
        }
        TiedInit init = TiedInit.parse(INIT.readChoice(p, problems)).orElseThrow();
        boolean fineTune = FINE_TUNE.readBoolean(p, problems);
        boolean onlyTied = TRAIN_ONLY_TIED.readBoolean(p, problems);
        List<TiedPair> chosen = found == null ? checkNames(PAIRS.raw(p), summary, problems)
                : choose(PAIRS.raw(p), found, problems);
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new TiedParameters(chosen, init, fineTune, onlyTied);
    }

    /** Pairs named by their first layer or as "first+second"; every pair found when not given. */
    private static List<TiedPair> choose(Object raw, List<TiedPair> found, List<String> problems) {
        if (raw == null) {
            return found;
        }
        List<String> names = names(raw, problems);
        Set<TiedPair> chosen = new LinkedHashSet<>();
        Set<String> unknown = new LinkedHashSet<>();
        for (String name : names) {
            TiedPair pair = found.stream().filter(f -> f.name().equals(name) || f.first().node().equals(name))
                    .findFirst().orElse(null);
            if (pair == null) {
                unknown.add(name);
            } else {
                chosen.add(pair);
            }
        }
        if (!unknown.isEmpty()) {
            problems.add(ParameterValues.quoted(unknown) + (unknown.size() == 1 ? " is not a pair" : " are not pairs")
                    + " found in the model; pairs are " + found.stream().map(TiedPair::name).limit(20).toList());
        }
        return found.stream().filter(chosen::contains).toList();
    }

    private static List<TiedPair> checkNames(Object raw, ModelSummary summary, List<String> problems) {
        if (raw == null) {
            return List.of();
        }
        Set<String> layers = new LinkedHashSet<>();
        summary.layers().stream().filter(LowRankLayers::factorizable).forEach(l -> layers.add(l.node()));
        Set<String> unknown = new LinkedHashSet<>();
        for (String name : names(raw, problems)) {
            for (String part : name.split("\\+", 2)) {
                if (!layers.contains(part)) {
                    unknown.add(part);
                }
            }
        }
        if (!unknown.isEmpty()) {
            problems.add(ParameterValues.quoted(unknown) + " in " + PAIRS.name() + (unknown.size() == 1 ? " is not a "
                    : " are not ") + "MatMul, Gemm or Conv layer" + (unknown.size() == 1 ? "" : "s")
                    + " of the model");
        }
        return List.of();
    }

    private static List<String> names(Object raw, List<String> problems) {
        List<String> names = ParameterValues.nameList(raw, PAIRS.name(), "pair", problems);
        if (names == null) {
            return List.of();
        }
        if (names.isEmpty()) {
            problems.add(PAIRS.name() + " is empty; leave it out to tie every pair found");
        }
        return names;
    }
}
