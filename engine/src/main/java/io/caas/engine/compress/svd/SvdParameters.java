package io.caas.engine.compress.svd;

import io.caas.engine.compress.CompressedFineTuning;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.MethodParameter;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.SpeedCheckParameters;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.compress.calibration.Whitening;
import io.caas.engine.onnx.ModelSummary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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
 * @param distil           fine-tune labelled data by distilling the original's class scores rather than the labels
 * @param whitening        whether truncation is weighted by the layers' inputs on calibration samples
 * @param calibrationSamples how many training samples the whitening runs the model on
 * @param onlyIfFaster     leave a layer dense where its factorized form does not time faster in ONNX Runtime
 * @param timingBatchSize  the batch size a layer is timed at besides 1
 * @param convForm         how a conv's kernel is split: kh×kw then 1×1 (channels), kh×1 then 1×kw (spatial), or
 *                         whichever the speed target measures better (auto)
 * @param outputAware      whitened truncation also weighs each layer's output directions by how much they move the
 *                         model's output
 * @param sensitivitySamples of the calibration samples, how many measure each layer's effect on the model's output
 */
record SvdParameters(RankRule rule, double value, Set<String> layers, boolean skipFirstAndLast,
                     boolean onlyIfSmaller, boolean fineTune, Whitening whitening, int calibrationSamples,
                     boolean onlyIfFaster, int timingBatchSize, ConvForm convForm, boolean distil,
                     boolean outputAware, int sensitivitySamples) {

    /**
     * DEFAULT_ENERGY: no size given, so the energy default of plain or whitened truncation, whichever runs.
     * SPEEDUP: ranks chosen for a speed-up of the whole model (targetSpeedup).
     */
    enum RankRule { DEFAULT_ENERGY, ENERGY, RATIO, RANK, TARGET_PARAMETERS, ACCURACY_DROP, SPEEDUP }

    /** How a kh×kw conv is split; AUTO is the channel form except where a speed target times both. */
    enum ConvForm { CHANNELS, SPATIAL, AUTO }

    /** What stops these settings from running on a job with or without training data; null where nothing does. */
    String noDataProblem(boolean hasTrainingData) {
        String whiteningProblem = whitening.needsDataProblem(hasTrainingData);
        if (whiteningProblem != null || hasTrainingData || !outputAware) {
            return whiteningProblem;
        }
        return OUTPUT_AWARE.name() + " measures on the job's training dataset, and the job has none: give trainDatasetId, "
                + "or leave " + OUTPUT_AWARE.name() + " out";
    }

    /** Whether every eligible conv takes the spatial form. */
    boolean spatial() {
        return convForm == ConvForm.SPATIAL;
    }

    /** Whether the rank chooser weighs both forms of each eligible conv against each other. */
    boolean bothConvForms() {
        return convForm == ConvForm.AUTO && rule == RankRule.SPEEDUP;
    }

    /** Rules that choose every layer's rank at once, from a budget: a layer that would not shrink is left dense. */
    boolean budgeted() {
        return rule == RankRule.TARGET_PARAMETERS || rule == RankRule.ACCURACY_DROP || rule == RankRule.SPEEDUP;
    }

    static final String BY_DISTILLATION = "distillation";
    static final String BY_LABELS = "labels";
    static final String CHANNELS = "channels";
    static final String SPATIAL = "spatial";
    static final String AUTO = "auto";
    /** The largest speed-up a request may ask for; more is no target but a typo. */
    static final double MAX_TARGET_SPEEDUP = 1000;
    /** Most samples a job may calibrate on: each costs a forward pass per calibration pass. */
    static final int MAX_CALIBRATION_SAMPLES = 100_000;

    static final MethodParameter ENERGY = MethodParameter.fraction("energy", TruncatedSvdMethod.DEFAULT_ENERGY,
            "Keep the smallest rank whose singular values hold this fraction of the squared Frobenius "
                + "norm: of the weight, or with whitening of the layer's output "
                + "on the calibration samples, where the default is " + TruncatedSvdMethod.DEFAULT_WHITENED_ENERGY
                + ". Used unless ratio, rank or targetParameters is given.",
            "Eckart-Young: the discarded energy is the squared relative weight error");

    static final MethodParameter RATIO = MethodParameter.fraction("ratio", null,
            "Instead of energy: fraction of each layer's parameters to keep; rank = ratio·m·n/(m+n).",
            null);

    static final MethodParameter RANK = MethodParameter.integer("rank", null, 1, null,
            "Instead of energy: the same rank for every layer (capped at the layer's full rank).",
            null);

    static final MethodParameter TARGET_PARAMETERS = MethodParameter.integer(RankBudget.TARGET_PARAMETERS, null, 1, null,
            "Instead of energy: the whole model's parameter count to reach. Plain, the ranks share one "
                + "relative cut-off (σᵢ ≥ τ·σ₁ in every layer) with τ the lowest that fits. Whitened, "
                + "each layer's cut is weighted by how much of its error reaches the model's output, "
                + "measured with each layer cut alone on 128 calibration samples. Layers svd leaves "
                + "alone count as they are. A job's target.compressionRatio sets this when no rank "
                + "rule is given.",
            "plain: the relative cut-off of OIALR (Coquelin et al. 2024), with τ found from the budget; "
                + "whitened: measured per-layer sensitivity as AIMET's rank selection, on output error "
                + "(all-MiniLM-L6-v2 at 86 % of its parameters: mean cosine 0.913 against 0.862 at "
                + "equal error in every layer)");

    static final MethodParameter MAX_ACCURACY_DROP = MethodParameter.fraction("maxAccuracyDrop", null,
            "Instead of energy: the largest top-1 drop to allow, as a fraction (0.01 = one point), measured "
                + "against the original on the first " + AccuracyRanks.SAMPLES + " samples of the job's "
                + "labelled training dataset. Each layer alone is factorized at 10, 20, 30, 50 and 70 % "
                + "of its parameters, smallest first, and takes the smallest whose drop is at most half "
                + "the budget (else stays dense); then, while the layers together drop more than the "
                + "budget, the one whose own drop is largest takes its next size. A job's "
                + "target.maxAccuracyDrop sets this when no size rule is given. Training samples, so "
                + "the job's evaluation dataset still measures the result independently.",
            "sensitivity-based rank selection, as in per-layer sensitivity analysis for low-rank and "
                + "pruning (e.g. AMC's and AIMET's); the half-budget split is chosen");

    static final MethodParameter TARGET_SPEEDUP = MethodParameter.number("targetSpeedup", null, 1.0, MAX_TARGET_SPEEDUP,
            "Instead of energy: how many times faster than the original the model should run in ONNX Runtime "
                + "(1 thread) at timingBatchSize. Each layer's form (for a "
                + "kh×kw conv with convForm auto, the channel or the spatial form, whichever makes the "
                + "whole model faster at its smallest size) at 5, 10, 20, 30 and 50 % of its parameters "
                + "is timed alone against the dense layer, sizes not faster at batch 1 and at "
                + "timingBatchSize dropped, the rest scored alone in the model (the "
                + "true class's mean log-likelihood on the first " + TruncatedSvdMethod.SPEED_SCORE_SAMPLES + " labelled "
                + "training samples, else agreement with the original's outputs). A greedy path moves "
                + "one layer at a time to its next faster form, the one that buys the most time per unit "
                + "of score lost; the first step whose whole model times the target (3 % over, for the "
                + "noise) against the original is found by bisection (at most " + SpeedRanks.MODEL_CHECKS
                + " timings), the path's end, the fastest, being the nearest result where none reaches "
                + "it. Unless layers are named, bilinear layers (an Einsum such as \"bi,kij,bj->bk\", "
                + "or PyTorch's MatMul patterns) join the path in the Hadamard form of the bilinear "
                + "method (a rank-d CP fit of the weight), timed in the whole model. A job's "
                + "target.speedup sets this when no size rule is given; fineTune then recovers accuracy.",
            "per-layer measured cost and sensitivity along one greedy path, as AIMET's greedy rank "
                + "selection; measured time, not MACs, because MACs do not predict ONNX Runtime's time").aboveMinimum();

    static final MethodParameter LAYERS = MethodParameter.names("layers",
            "Factorize only these layers (node names from the model summary; a layer inside an If "
                + "branch or a Loop/Scan body by its path, e.g. /If[else_branch]/wide/Gemm).");

    static final MethodParameter SKIP_FIRST_AND_LAST = MethodParameter.bool("skipFirstAndLast", true,
            "Leave the first convolution (or, without one, a small input projection: a first dense "
                + "layer under 5 % of the parameters) and the last weighted layer (the classifier) dense: "
                + "they hold few parameters and their error reaches the output undamped.",
            "common practice in low-rank CNN compression (Denton et al. 2014, Zhang et al. 2015)");

    static final MethodParameter ONLY_IF_SMALLER = MethodParameter.bool("onlyIfSmaller", true,
            "Leave a layer dense where r·(m+n) ≥ m·n, since factorizing it would not shrink it.",
            null);

    static final MethodParameter WHITENING = MethodParameter.choice(Whitening.PARAMETER, Whitening.AUTO.wireName(), Whitening.wireNames(),
            "How truncation weighs the data: 'none' keeps each weight's largest singular values; "
                + "'parallel' and 'sequential' run the model on calibration samples from the job's "
                + "training dataset and keep what matters for each layer's output on them (SVD of the "
                + "weight whitened by the Cholesky factor of its input Gram matrix; for a conv, of its "
                + "input patches). 'sequential' takes each layer's inputs from the model with the earlier "
                + "layers already replaced and corrects its weight in closed form towards the original "
                + "output, one calibration pass per layer; 'parallel' takes all from the original in one "
                + "pass. 'auto': sequential with training data, else none. With whitening, energy is the "
                + "fraction of each layer's output energy kept, not of its weight's.",
            "SVD-LLM (Wang et al. 2024, arXiv 2403.07378): truncation-aware data whitening; the sequential "
                + "correction is the least-squares update to the changed inputs");

    static final MethodParameter CALIBRATION_SAMPLES = MethodParameter.integer("calibrationSamples", (long) TruncatedSvdMethod.DEFAULT_CALIBRATION_SAMPLES, 1, (long) MAX_CALIBRATION_SAMPLES,
            "Training samples drawn (seeded, without replacement) to calibrate the whitening on.",
            "SVD-LLM calibrates on 256 sequences; a conv layer sees every position of each sample");

    static final MethodParameter SENSITIVITY_SAMPLES = MethodParameter.integer("sensitivitySamples", (long) TruncatedSvdMethod.DEFAULT_SENSITIVITY_SAMPLES, 1, (long) MAX_CALIBRATION_SAMPLES,
            "Of the calibration samples, how many measure each layer's effect on the model's output: "
                + "outputAware's projections, and under targetParameters with whitening the weights "
                + "that share the budget out (the model runs on them once per layer). At most "
                + "calibrationSamples are used.",
            "MiniLM: 128 sentences gave a mean cosine of 0.948 and 384 gave 0.950 with outputAware, in "
                + "4.8 and 13 minutes");

    static final MethodParameter OUTPUT_AWARE = MethodParameter.bool("outputAware", false,
            "With whitening, also weigh each layer's output directions by how much they move the model's "
                + "first output: random projections of that output are back-propagated on "
                + "sensitivitySamples calibration samples (" + TruncatedSvdMethod.OUTPUT_PROJECTIONS + " per batch) to "
                + "each layer's output, and the truncation keeps the directions of most model-output "
                + "error rather than of most layer-output error. Costs about " + TruncatedSvdMethod.OUTPUT_PROJECTIONS
                + " forward and backward passes per batch of those samples; needs training data.",
            "Gauss-Newton (Kronecker-factored) weighting of the output side, as K-FAC approximates the "
                + "Fisher matrix (Martens and Grosse 2015); Fisher-weighted SVD (Hsu et al. 2022)");

    static final MethodParameter ONLY_IF_FASTER = MethodParameter.bool(SpeedCheckParameters.ONLY_IF_FASTER, true,
            "Time each layer's factorized form against its dense form in ONNX Runtime (1 thread, the "
                + "layer alone on its real input shape, alternating rounds, median ratio) at batch 1 "
                + "and timingBatchSize, and leave it dense unless it is faster at both; then time the "
                + "factorized model against the original the same way (paired rounds) and return the "
                + "original unchanged, every layer noted dense, unless it is faster at both. On by "
                + "default, so that svd never makes a model slower unless asked: false factorizes "
                + "every chosen layer that shrinks, whatever its speed. Not applied with "
                + "targetParameters, which asks for a size.",
            "fewer parameters do not make a layer faster: two thin layers can cost more than one (the "
                + "default svd job ran a Fashion-MNIST ResNet 1.23x slower at batch 32 without it)");

    static final MethodParameter CONV_FORM = MethodParameter.choice("convForm", AUTO, List.of(AUTO, CHANNELS, SPATIAL),
            "How a kh×kw convolution is split: 'auto' is 'channels', except with targetSpeedup, which times "
                + "both forms of each conv and keeps the better; 'channels' into r kh×kw filters then a "
                + "1×1 conv; "
                + "'spatial' into r kh×1 filters then a 1×kw conv (its kernel as a (in·kh) × (out·kw) "
                + "matrix), which costs r·(in·kh + out·kw) per position instead of r·(in·kh·kw + out). "
                + "Convs with a 1-wide kernel, groups or auto_pad keep the channel form. Whitened, "
                + "each kh×1 column of the input patches weighs the truncation (correlations across "
                + "columns are left out).",
            "spatial SVD (Jaderberg et al. 2014; AIMET's spatial SVD)");

    static final MethodParameter FINE_TUNE = MethodParameter.bool("fineTune", false,
            "After factorizing, fine-tune the whole factorized model (every factor, bias and dense layer) "
                + "on the job's training data within its training budget: see fineTuneBy; without labels "
                + "by distilling the original model's outputs (MSE). Budget defaults: Adam 1e-4, "
                + "batch 64, 1 epoch (or maxSteps alone where only that is set). Ignored without "
                + "training data. The exported structure is the same as without it.",
            "learning rate 1e-4 measured on Fashion-MNIST (1e-3 lost accuracy); fine-tuning after "
                + "truncation as in Denton et al. 2014");

    static final MethodParameter FINE_TUNE_BY = MethodParameter.choice("fineTuneBy", BY_DISTILLATION, List.of(BY_DISTILLATION, BY_LABELS),
            "What fineTune fits where the training data has labels: '" + BY_DISTILLATION
                + "' the original model's class scores (KL divergence at temperature "
                + (int) CompressedFineTuning.DISTILLATION_TEMPERATURE + ", Hinton et al. 2015), or '"
                + BY_LABELS + "' the labels (cross-entropy). Without labels it always "
                + "distils the original's outputs.",
            "distillation measured on the Fashion-MNIST ResNet after a 2x speed target, 2,000 steps at "
                + "Adam 1e-4: 0.53 points below the original, against several points by the labels "
                + "(BENCHMARKS.md, 'A speed target')");

    static final MethodParameter TIMING_BATCH_SIZE = SpeedCheckParameters.TIMING_BATCH_SIZE_PARAMETER;

    /** Every parameter svd takes, in the order {@code GET /v1/methods} lists them. */
    static final List<MethodParameter> ALL = List.of(ENERGY, RATIO, RANK, TARGET_PARAMETERS, MAX_ACCURACY_DROP,
            TARGET_SPEEDUP, LAYERS, SKIP_FIRST_AND_LAST, ONLY_IF_SMALLER, WHITENING, CALIBRATION_SAMPLES,
            SENSITIVITY_SAMPLES, OUTPUT_AWARE, ONLY_IF_FASTER, TIMING_BATCH_SIZE, CONV_FORM, FINE_TUNE, FINE_TUNE_BY);

    /** The alternative ways to choose the size, of which a request gives at most one, each with its rule. */
    private static final Map<MethodParameter, RankRule> SIZE_RULE_OF = sizeRules();
    /** The names of {@link #SIZE_RULE_OF}'s parameters. */
    static final Set<String> SIZE_RULES = Collections.unmodifiableSet(new LinkedHashSet<>(
            SIZE_RULE_OF.keySet().stream().map(MethodParameter::name).toList()));

    private static Map<MethodParameter, RankRule> sizeRules() {
        Map<MethodParameter, RankRule> rules = new LinkedHashMap<>();
        rules.put(ENERGY, RankRule.ENERGY);
        rules.put(RATIO, RankRule.RATIO);
        rules.put(RANK, RankRule.RANK);
        rules.put(TARGET_PARAMETERS, RankRule.TARGET_PARAMETERS);
        rules.put(MAX_ACCURACY_DROP, RankRule.ACCURACY_DROP);
        rules.put(TARGET_SPEEDUP, RankRule.SPEEDUP);
        return Collections.unmodifiableMap(rules);
    }

    static SvdParameters parse(Map<String, Object> params, ModelSummary model) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, ALL, "svd", problems);
        List<MethodParameter> rules = SIZE_RULE_OF.keySet().stream().filter(r -> r.given(p)).toList();
        if (rules.size() > 1) {
            List<String> names = List.copyOf(SIZE_RULES);
            problems.add("give only one of " + String.join(", ", names.subList(0, names.size() - 1)) + " and "
                    + names.get(names.size() - 1) + ", not "
                    + String.join(" and ", rules.stream().map(MethodParameter::name).toList()));
        }
        RankRule rule = RankRule.DEFAULT_ENERGY;
        double value = Double.NaN;
        // every rule given is read, so that each problem is reported at once; the first one counts
        for (MethodParameter given : rules) {
            double v = given == TARGET_PARAMETERS ? given.readLong(p, problems)
                    : given == RANK ? given.readInt(p, problems) : given.readNumber(p, problems);
            if (given == rules.get(0)) {
                rule = SIZE_RULE_OF.get(given);
                value = v;
            }
        }
        boolean skip = SKIP_FIRST_AND_LAST.readBoolean(p, problems);
        boolean onlyIfSmaller = ONLY_IF_SMALLER.readBoolean(p, problems);
        boolean fineTune = FINE_TUNE.readBoolean(p, problems);
        boolean distil = !BY_LABELS.equals(FINE_TUNE_BY.readChoice(p, problems));
        Whitening whitening = Whitening.ofWireName(WHITENING.readChoice(p, problems));
        int samples = CALIBRATION_SAMPLES.readInt(p, problems);
        int sensitivitySamples = SENSITIVITY_SAMPLES.readInt(p, problems);
        boolean outputAware = OUTPUT_AWARE.readBoolean(p, problems);
        if (outputAware && whitening == Whitening.NONE) {
            problems.add(OUTPUT_AWARE.name() + " weighs the whitened truncation and needs whitening (parallel, "
                    + "sequential or auto with training data), not none");
        }
        ConvForm convForm = ConvForm.valueOf(CONV_FORM.readChoice(p, problems).toUpperCase(Locale.ROOT));
        boolean onlyIfFaster = ONLY_IF_FASTER.readBoolean(p, problems);
        if (rule == RankRule.SPEEDUP && !onlyIfFaster) {
            problems.add(TARGET_SPEEDUP.name() + " chooses ranks from each layer's measured time and keeps no layer "
                    + "in a form that times slower than its dense form; it cannot run with " + ONLY_IF_FASTER.name()
                    + " false");
        }
        int timingBatch = TIMING_BATCH_SIZE.readInt(p, problems);
        Set<String> layers = ParameterValues.layerNames(LAYERS.raw(p), model, "svd",
                LowRankLayers::eligible, true, problems);
        if (model.layers().stream().noneMatch(LowRankLayers::eligible) && model.subgraphLayers()
                .stream().noneMatch(l -> LowRankLayers.eligible(l.layer()))) {
            problems.add(ParameterValues.noFactorizableLayer(model, "svd"));
        }
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new SvdParameters(rule, value, layers, skip, onlyIfSmaller, fineTune, whitening, samples, onlyIfFaster,
                timingBatch, convForm, distil, outputAware, sensitivitySamples);
    }
}
