package io.caas.engine.compress.ldr;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The validated parameters of one ldr run (the training budget comes separately, from the task).
 *
 * @param structure        Toeplitz-like of displacement rank {@code rank}, or circulant (rank 1)
 * @param rank             displacement rank r of every replaced block
 * @param layers           layers named by the user, or empty for every eligible layer
 * @param skipFirstAndLast leave the last weighted layer dense (ignored when layers are named)
 * @param fineTune         fine-tune the generators when the job has training data
 * @param fit              how the generators start: fitted to the weight, or to the layers' outputs on data;
 *                         null when not given (data where the job has training data)
 * @param fitSteps         Adam steps per layer of the data fit
 * @param targetParameters the whole model's parameter budget the displacement rank is chosen for, or 0 for none
 * @param product          how the exported graph (and training) computes each layer's product; null when not
 *                         given (FFTs where the model's opset allows them)
 */
record LdrParameters(Structure structure, int rank, Set<String> layers, boolean skipFirstAndLast, boolean fineTune,
                     Fit fit, int fitSteps, long targetParameters, Product product) {

    /** What the generators are fitted to before fine-tuning. */
    enum Fit {
        /** The closed-form fit to the dense weight alone. */
        WEIGHT,
        /** Then the layers' outputs on training data ({@link SequentialOutputFit}). */
        DATA;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final String STRUCTURE = "structure";
    static final String RANK = "displacementRank";
    static final String LAYERS = "layers";
    static final String SKIP_FIRST_AND_LAST = "skipFirstAndLast";
    static final String FINE_TUNE = "fineTune";
    static final String FIT = "fit";
    static final String FIT_STEPS = "fitSteps";
    static final String APPLY = "apply";
    static final String TARGET_PARAMETERS = RankBudget.TARGET_PARAMETERS;
    static final Set<String> KNOWN = new LinkedHashSet<>(List.of(STRUCTURE, RANK, LAYERS, SKIP_FIRST_AND_LAST,
            FINE_TUNE, FIT, FIT_STEPS, APPLY, TARGET_PARAMETERS));

    static LdrParameters parse(Map<String, Object> params, ModelSummary model) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, KNOWN, "ldr", problems);
        Structure structure = Structure.TOEPLITZ_LIKE;
        Object rawStructure = p.get(STRUCTURE);
        if (rawStructure != null) {
            structure = rawStructure instanceof String s ? Structure.parse(s).orElse(null) : null;
            if (structure == null) {
                problems.add(STRUCTURE + " must be one of " + Arrays.stream(Structure.values())
                        .map(Structure::wireName).toList() + ", got " + rawStructure);
                structure = Structure.TOEPLITZ_LIKE;
            }
        }
        int rank = structure == Structure.CIRCULANT ? 1 : LdrMethod.DEFAULT_RANK;
        Object rawRank = p.get(RANK);
        if (rawRank != null) {
            Double v = ParameterValues.number(rawRank);
            if (v == null || v != Math.rint(v) || v < 1 || v > Integer.MAX_VALUE) {
                problems.add(RANK + " must be an integer ≥ 1, got " + rawRank);
            } else if (structure == Structure.CIRCULANT && v != 1) {
                problems.add(RANK + " must be 1 (or left out) for a circulant structure, got " + rawRank);
            } else {
                rank = v.intValue();
            }
        }
        boolean skip = ParameterValues.bool(p.get(SKIP_FIRST_AND_LAST), SKIP_FIRST_AND_LAST, true, problems);
        boolean fineTune = ParameterValues.bool(p.get(FINE_TUNE), FINE_TUNE, true, problems);
        Fit fit = null;
        Object rawFit = p.get(FIT);
        if (rawFit != null) {
            fit = rawFit instanceof String s ? Arrays.stream(Fit.values())
                    .filter(f -> f.wireName().equalsIgnoreCase(s.strip())).findFirst().orElse(null) : null;
            if (fit == null) {
                problems.add(FIT + " must be one of [weight, data], got " + rawFit);
            }
        }
        int fitSteps = LdrMethod.DEFAULT_FIT_STEPS;
        Object rawSteps = p.get(FIT_STEPS);
        if (rawSteps != null) {
            Double v = ParameterValues.number(rawSteps);
            if (v == null || v != Math.rint(v) || v < 0 || v > 100_000) {
                problems.add(FIT_STEPS + " must be an integer from 0 to 100000, got " + rawSteps);
            } else {
                fitSteps = v.intValue();
            }
        }
        Product product = null;
        Object rawApply = p.get(APPLY);
        if (rawApply != null) {
            product = rawApply instanceof String s ? Product.parse(s).orElse(null) : null;
            if (product == null) {
                problems.add(APPLY + " must be one of " + Arrays.stream(Product.values()).map(Product::wireName)
                        .toList() + ", got " + rawApply);
            } else if (product == Product.FOURIER) {
                DftOpset dft = DftOpset.of(model.opsetVersion(), model.operatorCounts().keySet());
                if (!dft.possible()) {
                    problems.add(APPLY + ": fft needs the DFT operator, but " + dft.refusal()
                            + "; use apply: dense");
                }
            }
        }
        Set<String> layers = ParameterValues.layerNames(p.get(LAYERS), model, "ldr", problems);
        for (String name : layers) {
            model.layers().stream().filter(l -> l.node().equals(name) && l.kind() != LayerKind.DENSE).findFirst()
                    .ifPresent(l -> problems.add("layer '" + name + "' is a " + l.opType()
                            + "; ldr replaces Gemm and MatMul weights only"));
        }
        if (model.layers().stream().noneMatch(l -> l.kind() == LayerKind.DENSE)) {
            problems.add("the model has no Gemm or MatMul layer with a 2-D weight for ldr to replace"
                    + ParameterValues.insideSubgraphs(model, "ldr", l -> l.kind() == LayerKind.DENSE));
        }
        long target = 0;
        if (p.get(TARGET_PARAMETERS) != null) {
            target = ParameterValues.count(p.get(TARGET_PARAMETERS), TARGET_PARAMETERS, problems);
            if (rawRank != null || structure == Structure.CIRCULANT) {
                problems.add(TARGET_PARAMETERS + " chooses the displacement rank of toeplitz-like blocks: give it "
                        + "without " + RANK + " and without structure circulant");
            } else if (target > 0 && problems.isEmpty()) {
                LdrBudget budget = LdrBudget.of(model, selection(layers, skip, model));
                if (budget.largestRankWithin(target) == 0) {
                    problems.add(budget.unreachable(target));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new LdrParameters(structure, rank, layers, skip, fineTune, fit, fitSteps, Math.max(0, target),
                product);
    }

    LdrParameters withRank(int r) {
        return new LdrParameters(structure, r, layers, skipFirstAndLast, fineTune, fit, fitSteps, targetParameters,
                product);
    }

    /** The layers named, else every layer but the last where that one is kept dense. */
    static Predicate<WeightedLayer> selection(Set<String> layers, boolean skipFirstAndLast, ModelSummary model) {
        String last = model.layers().isEmpty() ? null : model.layers().get(model.layers().size() - 1).node();
        return l -> layers.isEmpty() ? !(skipFirstAndLast && l.node().equals(last)) : layers.contains(l.node());
    }
}
