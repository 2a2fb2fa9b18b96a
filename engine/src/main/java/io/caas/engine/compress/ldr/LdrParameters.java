package io.caas.engine.compress.ldr;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.MethodParameter;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.ArrayList;
import java.util.Arrays;
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

    /**
     * Measured (LdrProductBenchmarkTest, widths 256 to 2048): at batch 64 ONNX Runtime 1.21 runs the folded dense
     * weight 2 to 40 times faster than its DFT nodes; the FFT form wins only for circulant blocks at batch 1 from
     * n = 1024. Both files hold the same generators.
     */
    static final Product DEFAULT_PRODUCT = Product.DENSE_WEIGHT;

    static final MethodParameter STRUCTURE = MethodParameter.choice("structure", Structure.TOEPLITZ_LIKE.wireName(), Arrays.stream(Structure.values()).map(Structure::wireName).toList(),
            "toeplitz-like: Σᵢ Z₁(gᵢ)·Z₋₁(hᵢ) of displacement rank r per block; circulant: one circulant "
                + "matrix per block (n parameters).",
            "Sindhwani, Sainath, Kumar 2015 (Toeplitz-like family; circulant as in Cheng et al. 2015)");

    static final MethodParameter RANK = MethodParameter.integer("displacementRank", (long) LdrMethod.DEFAULT_RANK, 1, null,
            "Displacement rank r of every block (toeplitz-like only; 1 for circulant). A layer whose "
                + "blocks would not hold fewer numbers than its dense weight stays dense.",
            "Sindhwani, Sainath, Kumar 2015 use small ranks (1 to 10); 2 chosen, the smallest that "
                + "holds every Toeplitz matrix");

    static final MethodParameter TARGET_PARAMETERS = MethodParameter.integer(RankBudget.TARGET_PARAMETERS, null, 1, null,
            "Parameters of the whole model to stay within: the largest displacement rank (shared by every "
                + "toeplitz-like layer) at which the model fits is chosen; a budget below rank 1 "
                + "everywhere is refused with that floor. Not with displacementRank or circulant. A "
                + "job's target.compressionRatio sets it when neither is given.",
            "one rank for all layers, as the paper uses; the count never falls as the rank grows");

    static final MethodParameter LAYERS = MethodParameter.names("layers",
            "Replace only these Gemm/MatMul layers (node names from the model summary).");

    static final MethodParameter SKIP_FIRST_AND_LAST = MethodParameter.bool("skipFirstAndLast", true,
            "Leave the last weighted layer (the classifier) dense, and a small input projection (a "
                + "first dense layer under 5 % of the parameters, in a model without convolutions).",
            "the paper keeps the output layer unstructured");

    static final MethodParameter FIT = MethodParameter.choice("fit", Fit.DATA.wireName(), Arrays.stream(Fit.values()).map(Fit::wireName).toList(),
            "weight: generators fitted in closed form to the dense weight only (the default without "
                + "training data). data: then fitted layer by layer, in graph order, to the original "
                + "layer's outputs on the first " + LdrMethod.FIT_SAMPLES + " training samples (Adam 1e-2, full "
                + "batch, fitSteps per layer), each layer fed by the already structured ones before it. "
                + "Where the budget sets maxSteps, the fit takes at most half of them and fine-tuning "
                + "the rest.",
            "layer-wise distillation: a trained weight's nearest structured matrix is almost zero, while "
                + "on the inputs the layer really sees a structured one can act much like it");

    static final MethodParameter FIT_STEPS = MethodParameter.integer("fitSteps", (long) LdrMethod.DEFAULT_FIT_STEPS, 0, (long) 100_000,
            "Adam steps per structured layer of the data fit (ignored for fit: weight).",
            "measured on a Fashion-MNIST CNN: output errors still fall, slowly, from 100 to 300 steps; "
                + "300 bounds the fit's cost");

    static final MethodParameter APPLY = MethodParameter.choice("apply", DEFAULT_PRODUCT.wireName(), Arrays.stream(Product.values()).map(Product::wireName).toList(),
            "How the exported file computes each structured product; both hold only the generators. "
                + "dense: the weight is rebuilt from the generators inside the graph, which ONNX "
                + "Runtime folds once per session, then one MatMul (any opset). fft: FFTs through ONNX "
                + "DFT nodes, O(r·n log n) per block and sample, no n×n matrix anywhere (the model's "
                + "opset is raised to 17 where that changes no other node; refused below 13). Training "
                + "uses FFTs for blocks of side " + StructuredExport.FFT_TRAINING_FROM + " and more "
                + "either way, where the interpreter runs them faster.",
            "Sindhwani, Sainath, Kumar 2015 apply the transforms with FFTs; dense by default because ONNX "
                + "Runtime 1.21 ran the folded weight 2-40× faster than its DFT at batch 64, widths "
                + "256-2048");

    static final MethodParameter FINE_TUNE = MethodParameter.bool("fineTune", true,
            "Fine-tune generators, biases and dense layers on the job's training data within its budget. "
                + "Ignored without training data; the closed-form fit alone loses much accuracy.",
            LdrMethod.DEFAULT_LEARNING_RATE_NOTE);

    /** Every parameter ldr takes, in the order {@code GET /v1/methods} lists them. */
    static final List<MethodParameter> ALL = List.of(STRUCTURE, RANK, TARGET_PARAMETERS, LAYERS, SKIP_FIRST_AND_LAST,
            FIT, FIT_STEPS, APPLY, FINE_TUNE);

    static LdrParameters parse(Map<String, Object> params, ModelSummary model) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, ALL, "ldr", problems);
        Structure structure = Structure.parse(STRUCTURE.readChoice(p, problems)).orElseThrow();
        int rank = structure == Structure.CIRCULANT ? 1 : LdrMethod.DEFAULT_RANK;
        if (RANK.given(p)) {
            int before = problems.size();
            int given = RANK.readInt(p, problems);
            if (problems.size() == before && structure == Structure.CIRCULANT && given != 1) {
                problems.add(RANK.name() + " must be 1 (or left out) for a circulant structure, got " + RANK.raw(p));
            } else if (problems.size() == before) {
                rank = given;
            }
        }
        boolean skip = SKIP_FIRST_AND_LAST.readBoolean(p, problems);
        boolean fineTune = FINE_TUNE.readBoolean(p, problems);
        // left out, fit and apply follow the job: its training data, the model's opset
        Fit fit = FIT.given(p) ? Fit.valueOf(FIT.readChoice(p, problems).toUpperCase(Locale.ROOT)) : null;
        int fitSteps = FIT_STEPS.readInt(p, problems);
        Product product = APPLY.given(p) ? Product.parse(APPLY.readChoice(p, problems)).orElseThrow() : null;
        if (product == Product.FOURIER && APPLY.given(p)) {
            DftOpset dft = DftOpset.of(model.opsetVersion(), model.operatorCounts().keySet());
            if (!dft.possible()) {
                problems.add(APPLY.name() + ": fft needs the DFT operator, but " + dft.refusal()
                        + "; use apply: dense");
            }
        }
        Set<String> layers = ParameterValues.layerNames(LAYERS.raw(p), model, "ldr", problems);
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
        if (TARGET_PARAMETERS.given(p)) {
            target = TARGET_PARAMETERS.readLong(p, problems);
            if (RANK.given(p) || structure == Structure.CIRCULANT) {
                problems.add(TARGET_PARAMETERS.name() + " chooses the displacement rank of toeplitz-like blocks: "
                        + "give it without " + RANK.name() + " and without structure circulant");
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
