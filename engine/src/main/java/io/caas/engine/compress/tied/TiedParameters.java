package io.caas.engine.compress.tied;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.onnx.ModelSummary;
import java.util.ArrayList;
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

    static final String PAIRS = "pairs";
    static final String INIT = "init";
    static final String FINE_TUNE = "fineTune";
    static final String TRAIN_ONLY_TIED = "trainOnlyTied";
    static final Set<String> KNOWN = new LinkedHashSet<>(List.of(PAIRS, INIT, FINE_TUNE, TRAIN_ONLY_TIED));

    /**
     * @param found the model's pairs as {@link PairFinder} finds them, or null where only the summary is at hand
     *              (request validation): pair names are then checked against the model's layers, and the pairs
     *              themselves when the job runs
     */
    static TiedParameters parse(Map<String, Object> params, ModelSummary summary, List<TiedPair> found) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, KNOWN, "tied", problems);
        if (found == null ? summary.layers().stream().filter(LowRankLayers::factorizable).count() < 2
                : found.isEmpty()) {
            problems.add("the model has no layer pair d→h→d to tie (a MatMul, Gemm or 1×1 Conv whose output reaches "
                    + "a layer of the same type mapping back to its input size through elementwise operations only)");
        }
        TiedInit init = TiedMethod.DEFAULT_INIT;
        if (p.get(INIT) != null) {
            init = TiedInit.parse(String.valueOf(p.get(INIT))).orElse(null);
            if (init == null) {
                problems.add(INIT + " must be one of " + TiedInit.choices() + ", got " + p.get(INIT));
                init = TiedMethod.DEFAULT_INIT;
            }
        }
        boolean fineTune = ParameterValues.bool(p.get(FINE_TUNE), FINE_TUNE, true, problems);
        boolean onlyTied = ParameterValues.bool(p.get(TRAIN_ONLY_TIED), TRAIN_ONLY_TIED, false, problems);
        List<TiedPair> chosen = found == null ? checkNames(p.get(PAIRS), summary, problems)
                : choose(p.get(PAIRS), found, problems);
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
            problems.add(ParameterValues.quoted(unknown) + " in " + PAIRS + (unknown.size() == 1 ? " is not a "
                    : " are not ") + "MatMul, Gemm or Conv layer" + (unknown.size() == 1 ? "" : "s")
                    + " of the model");
        }
        return List.of();
    }

    private static List<String> names(Object raw, List<String> problems) {
        List<String> names = ParameterValues.nameList(raw, PAIRS, "pair", problems);
        if (names == null) {
            return List.of();
        }
        if (names.isEmpty()) {
            problems.add(PAIRS + " is empty; leave it out to tie every pair found");
        }
        return names;
    }
}
