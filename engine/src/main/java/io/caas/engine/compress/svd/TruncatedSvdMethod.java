package io.caas.engine.compress.svd;

import io.caas.engine.compress.AccuracyGuard;
import io.caas.engine.compress.CompressedFineTuning;
import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerMatrix;
import io.caas.engine.compress.LayerSelection;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.compress.SpeedCheck;
import io.caas.engine.compress.SpeedCheckParameters;
import io.caas.engine.compress.calibration.Calibration;
import io.caas.engine.compress.calibration.LayerInputs;
import io.caas.engine.compress.calibration.LayerProbe;
import io.caas.engine.compress.calibration.WhitenedSvd;
import io.caas.engine.compress.calibration.OutputProbe;
import io.caas.engine.compress.calibration.Whitening;
import io.caas.engine.compress.hadamard.HadamardExport;
import io.caas.engine.compress.hadamard.HadamardTruncation;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Truncated SVD: each eligible weight matrix W (m × n) is replaced by two factors of rank r, which is smaller
 * whenever r·(m + n) < m·n. No training data is needed; accuracy is whatever the truncation leaves.
 */
public final class TruncatedSvdMethod implements CompressionMethod {

    public static final String NAME = "svd";

    private static final String KEPT_DENSE = "kept dense";
    static final String NEEDS_LABELS = "maxAccuracyDrop measures top-1 on the job's training dataset, and it needs "
            + "labels: give a labelled trainDatasetId, or another size rule";

    /**
     * Kept energy Σ_{i≤r}σ_i² / Σσ_i² by default. Truncation leaves a relative Frobenius error of √(1 − energy)
     * per layer (22 % at 0.95). Trained weights have flat spectra, so a higher default does nothing: on
     * openWakeWord alexa, PaddleOCR cls and the openWakeWord embedding net, 0.99 leaves every layer dense because
     * the kept rank is over m·n/(m+n). 0.95 shrinks some layers (alexa's 1536→128 layer to rank 107) with an
     * output cosine ≥ 0.99 against the original on random inputs; 0.9 shrinks more but flips PaddleOCR cls's
     * class on 22 % of random inputs (11 % at 0.95). More compression: lower it or use ratio, then fine-tune.
     */
    public static final double DEFAULT_ENERGY = 0.95;
    /**
     * Kept output energy by default when whitened. The output energy of an uncentered layer input is dominated by
     * its mean, which the first term carries, so the same fraction cuts far deeper than on the weight: on a
     * Fashion-MNIST CNN (Conv 16, Conv 32, Gemm 1568→128; WhitenedSvdOnFashionMnistTest's, top-1 0.8715,
     * sequential, no fine-tuning) 0.95 kept 5 % of the parameters at 0.5055, 0.99 13 % at 0.8525, 0.999 50 % at
     * 0.8580; plain 0.95 kept 95 % at 0.8710.
     */
    public static final double DEFAULT_WHITENED_ENERGY = 0.999;
    /** Calibration samples by default: a conv sees every position of each, a dense layer one row per sample. */
    public static final int DEFAULT_CALIBRATION_SAMPLES = 512;
    /**
     * Calibration samples on which each layer's effect on the output is measured by default (outputAware's
     * projections, a whitened parameter budget's weights): the budget runs the model once per layer, so fewer than
     * calibrate the spectra (MiniLM's 36 layers on 128 sentences: about 4 minutes here).
     */
    static final int DEFAULT_SENSITIVITY_SAMPLES = 128;
    /**
     * Random projections of the model's output back-propagated per calibration batch for outputAware: on MiniLM 16
     * measured closer than 4 (output error 0.113 against 0.118) for about 40 s more.
     */
    static final int OUTPUT_PROJECTIONS = 16;
    /** Samples each candidate of the speed target is scored on: 0.1 point of top-1 per sample at 1,000. */
    static final int SPEED_SCORE_SAMPLES = 1000;
    /** The calibration draw's seed, fixed so that a job gives the same factors each time it runs. */
    private static final long CALIBRATION_SEED = 20240311L;

    private static final MethodDescriptor DESCRIPTOR = new MethodDescriptor(NAME, "Truncated SVD",
            "Factorizes Gemm/MatMul weights into two thinner layers, Conv kernels into r filters followed by a "
                    + "1x1 convolution, and the input weights W of LSTM/GRU/RNN nodes into a MatMul to r features "
                    + "before the node, keeping the largest singular values. No training data needed.",
            LowRankLayers.KINDS, false, SvdParameters.ALL);

    /**
     * Adam's rate for fine-tuning the factors, measured (OialrBenchmarkTest: a trained 784-512-256-10 MLP on
     * Fashion-MNIST, svd keeping 55 % of the parameters, 2 epochs): 1e-3 lowered top-1 from the truncated model's
     * 0.870 to 0.858, 1e-4 raised it to 0.889. The factorized model starts close to a trained optimum, which
     * Adam's early, sign-like steps at 1e-3 knock it away from.
     */
    public static final double DEFAULT_FINE_TUNE_LEARNING_RATE = 1e-4;
    /** Chosen. */
    public static final int DEFAULT_FINE_TUNE_BATCH_SIZE = 64;

    private final SpeedCheck.Factory speedCheck;

    public TruncatedSvdMethod() {
        this(SpeedCheck.Factory.ONNX_RUNTIME);
    }

    /** @param speedCheck what judges a factorized layer, and the factorized model, faster or not (onlyIfFaster) */
    public TruncatedSvdMethod(SpeedCheck.Factory speedCheck) {
        this.speedCheck = speedCheck;
    }

    @Override
    public MethodDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public void validate(Map<String, Object> parameters, ModelSummary model) {
        // the float32 check needs the weights (see check); rank 1 everywhere is the floor either way
        requireReachable(SvdParameters.parse(parameters, model), model, layer -> true);
    }

    /** As {@link #validate}, with the target's floor counted over the layers whose weights are float32. */
    @Override
    public void check(Map<String, Object> parameters, ModelProto model, ModelSummary summary,
                      boolean hasTrainingData) {
        Weights weights = Weights.of(model.getGraph());
        SvdParameters params = SvdParameters.parse(parameters, summary);
        String noData = params.noDataProblem(hasTrainingData);
        if (noData != null) {
            throw new InvalidParametersException(List.of(noData));
        }
        if (params.rule() == SvdParameters.RankRule.ACCURACY_DROP && !hasTrainingData) {
            throw new InvalidParametersException(List.of(NEEDS_LABELS));
        }
        requireReachable(params, summary, layer -> isFloat(weights, layer));
    }

    private static boolean isFloat(Weights weights, WeightedLayer layer) {
        return weights.get(layer.weight()).map(TensorProto::getDataType).orElse(-1)
                == TensorProto.DataType.FLOAT_VALUE;
    }

    private static void requireReachable(SvdParameters params, ModelSummary model,
                                         Predicate<WeightedLayer> usable) {
        if (params.rule() != SvdParameters.RankRule.TARGET_PARAMETERS) {
            return;
        }
        List<WeightedLayer> layers = model.layers().stream().filter(LowRankLayers::eligible).toList();
        LayerSelection selection = LayerSelection.of(layers, params.layers(), params.skipFirstAndLast());
        List<WeightedLayer> chosen = layers.stream()
                .filter(l -> selection.skipReason(l, KEPT_DENSE) == null && usable.test(l)).toList();
        long fixed = model.parameters() - chosen.stream().mapToLong(WeightedLayer::parameters).sum();
        long least = RankBudget.floorOfShapes(chosen.stream().map(WeightedLayer::matrixShape).toList(), 1);
        if ((long) params.value() < fixed + least) {
            throw new InvalidParametersException(List.of(unreachable((long) params.value(), fixed + least, fixed)));
        }
    }

    @Override
    public Optional<Map<String, Object>> withSpeedCheck(Map<String, Object> parameters, int batchSize) {
        return SpeedCheckParameters.withCheck(parameters, batchSize);
    }

    @Override
    public Optional<Map<String, Object>> withSpeedTarget(Map<String, Object> parameters, double speedup,
                                                         int batchSize) {
        if (speedup <= 1 || SvdParameters.SIZE_RULES.stream().anyMatch(parameters::containsKey)
                || Boolean.FALSE.equals(parameters.get(SvdParameters.ONLY_IF_FASTER.name()))) {
            return withSpeedCheck(parameters, batchSize);
        }
        Map<String, Object> targeted = new LinkedHashMap<>(parameters);
        targeted.put(SvdParameters.TARGET_SPEEDUP.name(), speedup);
        targeted.putIfAbsent(SvdParameters.TIMING_BATCH_SIZE.name(), batchSize);
        return Optional.of(targeted);
    }

    @Override
    public Set<String> sizeParameters() {
        return SvdParameters.SIZE_RULES;
    }

    @Override
    public Optional<Map<String, Object>> withAccuracyBudget(Map<String, Object> parameters, double maxDrop) {
        if (SvdParameters.SIZE_RULES.stream().anyMatch(parameters::containsKey)) {
            return Optional.empty();
        }
        Map<String, Object> budgeted = new LinkedHashMap<>(parameters);
        budgeted.put(SvdParameters.MAX_ACCURACY_DROP.name(), maxDrop);
        return Optional.of(budgeted);
    }

    /** Every layer kind svd rewrites, truncated in place inside its subgraph ({@link SubgraphTruncation}). */
    @Override
    public boolean appliesInsideSubgraph(WeightedLayer layer) {
        return LowRankLayers.eligible(layer);
    }

    @Override
    public CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException {
        ModelProto model = task.model();
        ModelSummary summary = ModelInspector.inspect(model);
        SvdParameters params = SvdParameters.parse(task.parameters(), summary);
        Weights weights = Weights.of(model.getGraph());
        List<WeightedLayer> layers = summary.layers().stream().filter(LowRankLayers::eligible).toList();
        Map<WeightedLayer, Integer> nodeIndex = LowRankLayers.nodeIndices(model, layers);
        LayerSelection selection = LayerSelection.of(layers, params.layers(), params.skipFirstAndLast());
        double share = params.fineTune() && task.trainData().isPresent() ? 0.5 : 1.0;
        Whitening whitening = params.whitening().resolve(task.trainData().isPresent());
        SubgraphTruncation.Plan nested = SubgraphTruncation.plan(model, params, whitening);
        String noData = params.noDataProblem(task.trainData().isPresent());
        if (noData != null) {
            throw new InvalidParametersException(List.of(noData));
        }
        LayerReport[] skipped = new LayerReport[layers.size()];
        List<Integer> chosen = new ArrayList<>();
        int[] factorOf = new int[layers.size()]; // the layer's place in factors, or -1 where it is skipped
        for (int li = 0; li < layers.size(); li++) {
            WeightedLayer layer = layers.get(li);
            String skip = selection.skipReason(layer, KEPT_DENSE);
            if (skip == null && weights.get(layer.weight()).orElseThrow().getDataType()
                    != TensorProto.DataType.FLOAT_VALUE) {
                skip = "weight is not float32";
            }
            if (skip != null) {
                long full = Math.min(layer.matrixShape()[0], layer.matrixShape()[1]);
                skipped[li] = new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), full, full,
                        layer.parameters(), layer.parameters(), false, skip);
                factorOf[li] = -1;
                continue;
            }
            factorOf[li] = chosen.size();
            chosen.add(li);
        }
        List<WeightedLayer> chosenLayers = chosen.stream().map(layers::get).toList();
        SpeedTarget speedTarget = params.rule() == SvdParameters.RankRule.SPEEDUP ? new SpeedTarget(
                params.layers().isEmpty() ? HadamardTruncation.of(model, summary) : List.of()) : null;
        boolean anyToTime = !chosenLayers.isEmpty() || speedTarget != null && !speedTarget.bilinear.isEmpty()
                || nested.factorized() > 0;
        SpeedCheck speed = params.onlyIfFaster() && params.rule() != SvdParameters.RankRule.TARGET_PARAMETERS
                && anyToTime ? SpeedCheck.remembering(speedCheck.of(model, chosenLayers.stream()
                        .map(nodeIndex::get).toList(), task.trainData().or(task::evalData),
                        params.timingBatchSize())) : null;
        AccuracyBudget accuracy = null;
        if (params.rule() == SvdParameters.RankRule.ACCURACY_DROP) {
            Dataset labelled = task.trainData().filter(Dataset::labelled).orElseThrow(
                    () -> new InvalidParametersException(List.of(NEEDS_LABELS)));
            double at = share / (chosenLayers.size() + 1);
            accuracy = new AccuracyBudget(model, labelled, (fraction, message) -> progress.progress(at, message));
        }
        Calibration calibration = whitening == Whitening.NONE ? null
                : Calibration.of(task.trainData().orElseThrow(), params.calibrationSamples(), CALIBRATION_SEED);
        Factorized factorized = speedTarget != null
                ? forSpeed(model, chosenLayers, nodeIndex, weights, params, whitening, calibration, speed,
                        speedScore(model, task), progress, share, speedTarget)
                : whitening == Whitening.NONE
                ? plain(model, chosenLayers, nodeIndex, weights, params, summary, speed, progress, share, accuracy)
                : whitened(model, chosenLayers, nodeIndex, weights, params, summary, whitening, calibration,
                        speed, progress, share, accuracy);
        List<LayerTruncation> factors = factorized.layers();
        int[] ranks = factorized.ranks();

        List<LayerReport> reports = new ArrayList<>();
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        List<FactorizedExport.Replacement> replacements = new ArrayList<>();
        List<Runnable> rankMetrics = new ArrayList<>(); // sent once the factorized model is kept
        for (int li = 0; li < layers.size(); li++) {
            int c = factorOf[li];
            if (c < 0) {
                reports.add(skipped[li]);
                continue;
            }
            WeightedLayer layer = layers.get(li);
            LayerTruncation f = factors.get(c);
            long full = f.fullRank();
            int rank = ranks[c];
            long after = (long) rank * (f.rows() + f.cols());
            String how = describe(params, f, rank);
            if (accuracy != null && !accuracy.choice.note(c).isEmpty()) {
                how += " (" + accuracy.choice.note(c) + ")";
            }
            if (factorized.weighted() != null && factorized.weighted().weighted()) {
                how += " (" + factorized.weighted().note(c) + ")";
            }
            if (speedTarget != null && speedTarget.choice.rank(c) != SpeedRanks.DENSE) {
                how += " (" + speedTarget.choice.notes()[c] + ")";
            }
            SpeedCheck.Verdict verdict = factorized.verdicts()[c];
            if (verdict != null) {
                how += "; " + verdict.note();
            }
            if (verdict != null && !verdict.faster()) {
                reports.add(new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), full, full,
                        layer.parameters(), layer.parameters(), false, "left dense: " + how + ", not faster"));
            } else if (accuracy != null && accuracy.choice.ranks()[c] == AccuracyRanks.DENSE) {
                reports.add(new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), full, full,
                        layer.parameters(), layer.parameters(), false, "left dense by the accuracy budget: no "
                        + "candidate rank (" + java.util.Arrays.toString(AccuracyRanks.candidates(f)) + ") kept the "
                        + "drop within it"));
            } else if (speedTarget != null && speedTarget.choice.rank(c) == SpeedRanks.DENSE) {
                reports.add(new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), full, full,
                        layer.parameters(), layer.parameters(), false, speedTarget.choice.notes()[c]));
            } else if (leavesDense(params, rank, f, layer)) {
                reports.add(new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), full, full,
                        layer.parameters(), layer.parameters(), false, "left dense: " + how + " would not shrink it ("
                        + after + " ≥ " + layer.parameters() + " parameters)"));
            } else {
                replacements.add(f.replacement(rank));
                curves.put("energy:" + layer.node(), energyCurve(f));
                reports.add(new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), full, rank,
                        layer.parameters(), after, true, how));
                long step = li;
                rankMetrics.add(() -> progress.metric("rank:" + layer.node(), step, rank));
            }
        }
        List<HadamardExport.Replacement> hadamard = new ArrayList<>();
        if (speedTarget != null) {
            for (int b = 0; b < speedTarget.bilinear.size(); b++) {
                HadamardTruncation h = speedTarget.bilinear.get(b);
                WeightedLayer layer = h.layer();
                SpeedRanks.Option o = speedTarget.choice.options()[chosen.size() + b];
                String note = speedTarget.choice.notes()[chosen.size() + b];
                if (o == null) {
                    reports.add(new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), h.exactRank(),
                            h.exactRank(), layer.parameters(), layer.parameters(), false, note));
                    continue;
                }
                hadamard.add(h.replacement(o.rank()));
                reports.add(new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), h.exactRank(),
                        o.rank(), layer.parameters(), h.parametersAt(o.rank()), true, h.describe(o.rank()) + " ("
                        + note + "); " + o.timing().note()));
                long step = layers.size() + b;
                rankMetrics.add(() -> progress.metric("rank:" + layer.node(), step, o.rank()));
            }
        }
        reports.addAll(nested.reports());
        ModelProto compressed = nested.applyTo(new FactorizedExport(model).apply(replacements));
        if (!hadamard.isEmpty()) {
            compressed = HadamardExport.apply(compressed, hadamard);
        }
        int factorizedLayers = replacements.size() + hadamard.size() + nested.factorized();
        if (speed != null && factorizedLayers > 0) {
            // Layers each faster alone can still make a slower model (a fused conv and activation split, many
            // small wins under the noise): the whole model is timed too, and returned as it was unless faster.
            checkInterrupt();
            progress.progress(share, "timing the factorized model against the original");
            SpeedCheck.Verdict whole = speed.checkModel(compressed);
            if (!whole.faster()) {
                // what the speed target had chosen is still said: it is what the whole model's timing refused
                return unchanged(model, reports, curves, whole.note() + ", not faster",
                        speedTarget != null ? speedTarget.choice.summary() : "", progress);
            }
            progress.progress(share, whole.note());
        }
        rankMetrics.forEach(Runnable::run);
        if (params.fineTune() && factorizedLayers > 0) {
            if (task.trainData().isPresent()) {
                compressed = fineTune(model, compressed, task, params.distil(), progress, curves);
            } else {
                progress.progress(1.0, "fineTune is set but the job has no training data: not fine-tuned");
            }
        }
        if (params.rule() == SvdParameters.RankRule.DEFAULT_ENERGY && factorizedLayers > 0) {
            // the default size rule is the method's choice, not the request's: it may not cost more than 2 points
            progress.progress(1.0, "measuring what the default size cost");
            AccuracyGuard.Verdict kept = AccuracyGuard.check(model, compressed, task.trainData(),
                    AccuracyGuard.DEFAULT_MAX_DROP);
            if (!kept.within()) {
                return unchanged(model, reports, curves, "the default size lost too much: " + kept.note(), "",
                        progress);
            }
            progress.progress(1.0, "the default size's cost: " + kept.note());
        }
        String measured = "";
        if (accuracy != null) {
            // the model returned, after the sequential correction and the speed check, on the samples that chose it
            double top1 = Evaluator.top1(compressed, accuracy.data, accuracy.choice.samples(), 250);
            measured = String.format(Locale.ROOT, "; %s; the model returned: top-1 %.4f", accuracy.choice.summary(),
                    top1);
        }
        if (factorized.weighted() != null) {
            measured = "; " + factorized.weighted().summary();
        }
        if (speedTarget != null) {
            measured = "; " + speedTarget.choice.summary();
            Optional<Dataset> labelled = task.trainData().filter(Dataset::labelled);
            if (labelled.isPresent()) {
                // the choice was scored before the sequential correction and fine-tuning: say what is returned
                int samples = Math.min(SPEED_SCORE_SAMPLES, labelled.get().size());
                measured += String.format(Locale.ROOT, "; the model returned: top-1 %.4f against the original's "
                        + "%.4f on the same samples", Evaluator.top1(compressed, labelled.get(), samples, 250),
                        Evaluator.top1(model, labelled.get(), samples, 250));
            }
        }
        progress.progress(1.0, factorizedLayers + " layers factorized"
                + (curves.containsKey("loss") ? " and fine-tuned" : "") + measured);
        return new CompressionResult(compressed, reports, curves);
    }

    /**
     * The original back, every factorized layer's report saying it was left dense and why: all or nothing, since the
     * sequential correction fits each layer to the layers before it as factorized.
     */
    private static CompressionResult unchanged(ModelProto model, List<LayerReport> reports,
                                               Map<String, List<double[]>> curves, String why, String chosen,
                                               ProgressListener progress) {
        for (int i = 0; i < reports.size(); i++) {
            LayerReport l = reports.get(i);
            if (l.factorized()) {
                reports.set(i, new LayerReport(l.node(), l.opType(), l.matrixShape(), l.originalRank(),
                        l.originalRank(), l.parametersBefore(), l.parametersBefore(), false,
                        "left dense: " + l.note() + "; " + why + ", so every layer was left dense"));
            }
        }
        curves.keySet().removeIf(k -> k.startsWith("energy:") || k.equals("loss"));
        progress.progress(1.0, "no layer factorized: " + why + "; the model is returned as it was"
                + (chosen.isEmpty() ? "" : " (" + chosen + ")"));
        return new CompressionResult(model, reports, curves);
    }

    /**
     * Trains every weight of the factorized model (the structure stays as exported), by label or by distilling the
     * original. Progress continues from where factorizing left it; the loss goes to the "loss" curve.
     */
    private static ModelProto fineTune(ModelProto original, ModelProto factorized, CompressionTask task,
                                       boolean distil, ProgressListener progress,
                                       Map<String, List<double[]>> curves) throws InterruptedException {
        return CompressedFineTuning.withDefaults(DEFAULT_FINE_TUNE_BATCH_SIZE, DEFAULT_FINE_TUNE_LEARNING_RATE, 1)
                .distilling(distil).progress(0.5, 0.5).run(original, factorized, task, progress, curves);
    }

    /** The chosen layers' truncations and the rank each keeps, in the order of the chosen layers. */
    /**
     * @param weighted how a whitened parameter budget was weighted by the layers' effect on the output; null for
     *                 every other rule
     */
    private record Factorized(List<LayerTruncation> layers, int[] ranks, SpeedCheck.Verdict[] verdicts,
                              OutputErrorRanks.Choice weighted) {

        Factorized(List<LayerTruncation> layers, int[] ranks, SpeedCheck.Verdict[] verdicts) {
            this(layers, ranks, verdicts, null);
        }

        Factorized weightedBy(OutputErrorRanks.Choice choice) {
            return new Factorized(layers, ranks, verdicts, choice);
        }
    }

    /** Each chosen layer's own SVD, ranks by the rule. */
    private static Factorized plain(ModelProto model, List<WeightedLayer> chosen, Map<WeightedLayer, Integer> nodeIndex,
                                    Weights weights, SvdParameters params, ModelSummary summary,
                                    SpeedCheck speed, ProgressListener progress, double share,
                                    AccuracyBudget accuracy) throws InterruptedException {
        List<LayerTruncation> factors = new ArrayList<>();
        for (WeightedLayer layer : chosen) {
            checkInterrupt();
            int index = nodeIndex.get(layer);
            NodeProto node = model.getGraph().getNode(index);
            TensorProto weight = weights.get(layer.weight()).orElseThrow();
            factors.add(params.spatial() && SpatialFactors.applies(layer, node)
                    ? SpatialFactors.of(layer, index, weight) : plainTruncation(layer, index, node, weight));
            progress.progress(share * factors.size() / (chosen.size() + 1), "decomposed " + factors.size() + " of "
                    + chosen.size() + " layers");
        }
        int[] ranks = ranks(params, summary, chosen, factors, accuracy);
        return new Factorized(factors, ranks, timed(speed, params, chosen, factors, ranks));
    }

    /** The speed verdict of each layer that would be factorized, where onlyIfFaster asks for one; else nulls. */
    private static SpeedCheck.Verdict[] timed(SpeedCheck speed, SvdParameters params,
                                                   List<WeightedLayer> chosen, List<LayerTruncation> factors,
                                                   int[] ranks) throws InterruptedException {
        SpeedCheck.Verdict[] verdicts = new SpeedCheck.Verdict[chosen.size()];
        for (int i = 0; speed != null && i < chosen.size(); i++) {
            checkInterrupt();
            if (!leavesDense(params, ranks[i], factors.get(i), chosen.get(i))) {
                verdicts[i] = speed.check(factors.get(i).replacement(ranks[i]));
            }
        }
        return verdicts;
    }

    /**
     * Each chosen layer's SVD whitened by its inputs on the calibration samples. Parallel: one pass over the
     * original model. Sequential: layers in graph order, those reading the same value together, each calibrated on
     * the model with the layers before it already replaced; a parameter budget still needs every layer's spectrum
     * at once, so its ranks come from a parallel pass first and the sequential pass keeps them.
     */
    private static Factorized whitened(ModelProto model, List<WeightedLayer> chosen,
                                       Map<WeightedLayer, Integer> nodeIndex, Weights weights, SvdParameters params,
                                       ModelSummary summary, Whitening whitening, Calibration calibration,
                                       SpeedCheck speed, ProgressListener progress, double share,
                                       AccuracyBudget accuracy) throws InterruptedException {
        List<LayerMatrix> matrices = new ArrayList<>();
        List<Boolean> spatial = new ArrayList<>(); // whether the layer takes the spatial form
        List<LayerProbe> probes = new ArrayList<>();
        for (WeightedLayer layer : chosen) {
            int index = nodeIndex.get(layer);
            NodeProto node = model.getGraph().getNode(index);
            TensorProto weight = weights.get(layer.weight()).orElseThrow();
            LayerMatrix m = LayerMatrix.of(layer, index, node, weight);
            matrices.add(m);
            spatial.add(params.spatial() && SpatialFactors.applies(layer, node));
            probes.add(LayerProbe.of(layer.node(), node, layer.weightShape(), m.in()));
        }
        String how = String.format(Locale.ROOT, "whitened (%s) on %d samples of '%s'", whitening.wireName(),
                calibration.samples(), calibration.datasetName());
        boolean budget = params.budgeted();
        List<LayerTruncation> factors = new ArrayList<>();
        int[] ranks = null;
        OutputErrorRanks.Choice weighted = null;
        List<double[]> outputs = null;
        if (whitening == Whitening.PARALLEL || budget) {
            progress.progress(0, "calibrating " + chosen.size() + " layers on " + calibration.samples() + " samples");
            List<LayerInputs> inputs = calibration.inputs(model, probes);
            outputs = outputGrams(model, chosen, nodeIndex, matrices, params, calibration, progress);
            for (int i = 0; i < matrices.size(); i++) {
                factors.add(whitenedLayer(matrices.get(i), spatial.get(i), weights, chosen.get(i), inputs.get(i),
                        outputs.get(i), how));
            }
            ranks = ranks(params, summary, chosen, factors, accuracy);
            if (params.rule() == SvdParameters.RankRule.TARGET_PARAMETERS && factors.size() > 1) {
                long fixed = summary.parameters() - chosen.stream().mapToLong(WeightedLayer::parameters).sum();
                Calibration measured = calibration.limit(params.sensitivitySamples());
                weighted = OutputErrorRanks.choose(model, factors, ranks, (long) params.value() - fixed,
                        candidates -> measured.outputErrors(model, candidates), measured.samples(), progress);
                ranks = weighted.ranks();
            }
            if (whitening == Whitening.PARALLEL) {
                progress.progress(share * chosen.size() / (chosen.size() + 1), "decomposed " + chosen.size()
                        + " layers");
                return new Factorized(factors, ranks, timed(speed, params, chosen, factors, ranks), weighted);
            }
        }
        if (outputs == null) {
            outputs = outputGrams(model, chosen, nodeIndex, matrices, params, calibration, progress);
        }
        return sequential(model, chosen, matrices, spatial, probes, outputs, weights, params, calibration, how, ranks,
                speed, progress, share).weightedBy(weighted);
    }

    /**
     * The sequential pass: layers in graph order, those reading the same value together, each calibrated on the
     * model with the layers before it already replaced and corrected towards the original's output.
     *
     * @param ranks per layer, its rank, or null to choose each by the rule from its own spectrum
     */
    private static Factorized sequential(ModelProto model, List<WeightedLayer> chosen, List<LayerMatrix> matrices,
                                         List<Boolean> spatial, List<LayerProbe> probes, List<double[]> outputs,
                                         Weights weights,
                                         SvdParameters params, Calibration calibration, String how, int[] ranks,
                                         SpeedCheck speed, ProgressListener progress, double share)
            throws InterruptedException {
        List<LayerTruncation> sequential = new ArrayList<>();
        int[] sequentialRanks = new int[chosen.size()];
        SpeedCheck.Verdict[] verdicts = new SpeedCheck.Verdict[chosen.size()];
        List<FactorizedExport.Replacement> done = new ArrayList<>();
        ModelProto current = model;
        for (int from = 0; from < chosen.size(); ) {
            int to = from + 1;
            while (to < chosen.size() && probes.get(to).value().equals(probes.get(from).value())) {
                to++;
            }
            List<LayerInputs> inputs = calibration.pairedInputs(model, current, probes.subList(from, to));
            for (int i = from; i < to; i++) {
                LayerTruncation f = whitenedLayer(matrices.get(i), spatial.get(i), weights, chosen.get(i),
                        inputs.get(i - from), outputs.get(i), how);
                int rank = ranks != null ? ranks[i] : chooseRank(f, params);
                sequential.add(f);
                sequentialRanks[i] = rank;
                if (!leavesDense(params, rank, f, chosen.get(i))) {
                    FactorizedExport.Replacement replacement = f.replacement(rank);
                    // a layer left dense for speed must be dense before the next layer is calibrated
                    verdicts[i] = speed == null ? null : speed.check(replacement);
                    if (verdicts[i] == null || verdicts[i].faster()) {
                        done.add(replacement);
                    }
                }
            }
            current = new FactorizedExport(model).apply(done);
            progress.progress(share * to / (chosen.size() + 1), "calibrated and decomposed " + to + " of "
                    + chosen.size() + " layers");
            from = to;
        }
        return new Factorized(sequential, sequentialRanks, verdicts);
    }

    /**
     * Ranks and conv forms chosen for a speed-up ({@link SpeedRanks}): each layer's forms (plain, or whitened from
     * one parallel calibration pass) timed and scored, the choice made on them; with sequential whitening the chosen
     * ranks and forms are then refitted in a sequential pass. The speed check remembers each form's timing, so the
     * refitted layers are judged by the timings that chose them.
     */
    private static Factorized forSpeed(ModelProto model, List<WeightedLayer> chosen,
                                       Map<WeightedLayer, Integer> nodeIndex, Weights weights, SvdParameters params,
                                       Whitening whitening, Calibration calibration, SpeedCheck speed,
                                       SpeedRanks.Score score, ProgressListener progress, double share,
                                       SpeedTarget target) throws InterruptedException {
        List<LayerMatrix> matrices = new ArrayList<>();
        List<LayerProbe> probes = new ArrayList<>();
        List<List<Boolean>> spatialForms = new ArrayList<>();
        for (WeightedLayer layer : chosen) {
            int index = nodeIndex.get(layer);
            NodeProto node = model.getGraph().getNode(index);
            LayerMatrix m = LayerMatrix.of(layer, index, node, weights.get(layer.weight()).orElseThrow());
            matrices.add(m);
            probes.add(LayerProbe.of(layer.node(), node, layer.weightShape(), m.in()));
            boolean spatialApplies = SpatialFactors.applies(layer, node);
            spatialForms.add(params.spatial() && spatialApplies ? List.of(true)
                    : params.bothConvForms() && spatialApplies ? List.of(false, true) : List.of(false));
        }
        String how = whitening == Whitening.NONE ? "" : String.format(Locale.ROOT, "whitened (%s) on %d samples of "
                + "'%s'", whitening.wireName(), calibration.samples(), calibration.datasetName());
        List<LayerInputs> inputs = null;
        List<double[]> outputs = null;
        if (whitening != Whitening.NONE) {
            progress.progress(0, "calibrating " + chosen.size() + " layers on " + calibration.samples() + " samples");
            inputs = calibration.inputs(model, probes);
            outputs = outputGrams(model, chosen, nodeIndex, matrices, params, calibration, progress);
        }
        List<List<LayerTruncation>> forms = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            WeightedLayer layer = chosen.get(i);
            int index = nodeIndex.get(layer);
            TensorProto weight = weights.get(layer.weight()).orElseThrow();
            List<LayerTruncation> layerForms = new ArrayList<>();
            for (boolean spatial : spatialForms.get(i)) {
                layerForms.add(inputs != null
                        ? whitenedLayer(matrices.get(i), spatial, weights, layer, inputs.get(i), outputs.get(i), how)
                        : spatial ? SpatialFactors.of(layer, index, weight)
                        : plainTruncation(layer, index, model.getGraph().getNode(index), weight));
            }
            forms.add(layerForms);
        }
        List<List<SpeedRanks.Form>> speedForms = new ArrayList<>();
        for (int i = 0; i < forms.size(); i++) {
            List<SpeedRanks.Form> layerForms = new ArrayList<>();
            for (int f = 0; f < forms.get(i).size(); f++) {
                layerForms.add(SpeedRanks.form(forms.get(i).get(f), !spatialForms.get(i).get(f) ? "the channel form"
                        : "the spatial form"));
            }
            speedForms.add(layerForms);
        }
        target.bilinear.forEach(h -> speedForms.add(List.of(hadamardForm(model, h))));
        SpeedRanks.Models models = choice -> {
            List<FactorizedExport.Replacement> factorized = new ArrayList<>();
            List<HadamardExport.Replacement> hadamard = new ArrayList<>();
            for (SpeedRanks.Option o : choice) {
                if (o != null && o.layer() < forms.size()) {
                    factorized.add(forms.get(o.layer()).get(o.form()).replacement(o.rank()));
                } else if (o != null) {
                    hadamard.add(target.bilinear.get(o.layer() - forms.size()).replacement(o.rank()));
                }
            }
            ModelProto m = new FactorizedExport(model).apply(factorized);
            return hadamard.isEmpty() ? m : HadamardExport.apply(m, hadamard);
        };
        double at = share / (chosen.size() + 1);
        target.choice = SpeedRanks.choose(model, speedForms, models, speed, score, params.value(),
                (fraction, message) -> progress.progress(at, message));
        int[] ranks = new int[chosen.size()];
        List<Boolean> spatial = new ArrayList<>();
        List<LayerTruncation> picked = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            LayerTruncation f = forms.get(i).get(target.choice.form(i));
            picked.add(f);
            spatial.add(spatialForms.get(i).get(target.choice.form(i)));
            // a dense layer's full rank does not shrink it, so the budget leaves it dense
            ranks[i] = target.choice.rank(i) == SpeedRanks.DENSE ? f.fullRank() : target.choice.rank(i);
        }
        if (whitening == Whitening.SEQUENTIAL) {
            return sequential(model, chosen, matrices, spatial, probes, outputs, weights, params, calibration, how,
                    ranks, speed, progress, share);
        }
        return new Factorized(picked, ranks, timed(speed, params, chosen, picked, ranks));
    }

    /**
     * What a layer's candidate form costs in accuracy for the speed target: top-1 on the first labelled training
     * samples where the job has labels, else the outputs' agreement with the original's (1 − mean relative error) on
     * the training samples or, without any, on seeded random inputs.
     */
    private static SpeedRanks.Score speedScore(ModelProto original, CompressionTask task) {
        Optional<Dataset> labelled = task.trainData().filter(Dataset::labelled);
        if (labelled.isPresent()) {
            Dataset data = labelled.get();
            int samples = Math.min(SPEED_SCORE_SAMPLES, data.size());
            return new SpeedRanks.Score() {
                @Override
                public double of(ModelProto m) {
                    return Evaluator.meanLogLikelihood(m, data, samples, 250);
                }

                @Override
                public String describe() {
                    return String.format(Locale.ROOT, "mean log-likelihood of the true class on %,d labelled "
                            + "training samples", samples);
                }

                @Override
                public String drop(double drop) {
                    return String.format(Locale.ROOT, "its mean log-likelihood of the true class %.4f below the "
                            + "original's", drop);
                }
            };
        }
        Optional<Dataset> data = task.trainData();
        EvaluationOptions options = EvaluationOptions.defaults().withMaxSamples(SPEED_SCORE_SAMPLES);
        return new SpeedRanks.Score() {
            @Override
            public double of(ModelProto m) {
                return 1 - Evaluator.compare(original, m, data, options).meanRelativeError();
            }

            @Override
            public String drop(double drop) {
                return String.format(Locale.ROOT, "%.2f %% of output agreement below the original", 100 * drop);
            }

            @Override
            public String describe() {
                return "output agreement with the original (1 − mean relative error) on " + data.map(
                        d -> Math.min(SPEED_SCORE_SAMPLES, d.size()) + " training samples").orElse(
                        options.syntheticSamples() + " random inputs");
            }
        };
    }

    /**
     * A bilinear layer's Hadamard form for the speed target. It spans several nodes and reads two activations, so it
     * is timed in the whole model (the original with this layer alone rewritten, against the original): the time it
     * saves is then the whole model's, comparable with a layer's saving timed alone. The Hadamard form is a low-rank
     * (CP) factorization of the bilinear weight; in ONNX Runtime it also replaces an Einsum that runs far slower per
     * MAC than matrix products (BENCHMARKS.md).
     */
    private static SpeedRanks.Form hadamardForm(ModelProto model, HadamardTruncation h) {
        return new SpeedRanks.Form() {
            @Override
            public String name() {
                return "the Hadamard form";
            }

            @Override
            public int[] candidates() {
                return h.ranksAtShares(SpeedRanks.CANDIDATE_RATIOS);
            }

            @Override
            public SpeedCheck.Verdict time(SpeedCheck speed, int rank) {
                SpeedCheck.Verdict whole = speed.checkModel(HadamardExport.apply(model, List.of(h.replacement(rank))));
                return new SpeedCheck.Verdict(whole.faster(), String.format(Locale.ROOT, "the model with this layer "
                        + "alone in the Hadamard form timed in ONNX Runtime at %.2fx the original's time at the "
                        + "timing batch and %.2fx at batch 1", whole.ratioAtBatch(), whole.ratioAtOne()),
                        whole.ratioAtOne(), whole.ratioAtBatch(), whole.denseMillis());
            }
        };
    }

    /**
     * For the targetSpeedup rule: the bilinear layers it may take to their Hadamard form (every one, unless the
     * request names layers), and the choice once made, for the layers' notes and the job's summary. In the choice,
     * the bilinear layers follow the chosen Gemm/MatMul/Conv layers.
     */
    private static final class SpeedTarget {
        final List<HadamardTruncation> bilinear;
        SpeedRanks.Choice choice;

        SpeedTarget(List<HadamardTruncation> bilinear) {
            this.bilinear = bilinear;
        }
    }

    /**
     * The layer's whitened truncation, in the spatial form where {@code spatial} says so; the channel form weighted on
     * its output side too where {@code outputGram} is given (the spatial form's factors split the kernel, not the
     * output, so it stays weighted by its inputs).
     */
    private static LayerTruncation whitenedLayer(LayerMatrix m, boolean spatial, Weights weights,
                                                 WeightedLayer layer, LayerInputs inputs, double[] outputGram,
                                                 String how) {
        return spatial ? SpatialFactors.whitened(layer, m.nodeIndex(), weights.get(layer.weight()).orElseThrow(),
                inputs, how) : whitenedTruncation(m, inputs, outputGram, how);
    }

    /**
     * With outputAware, each layer's output sensitivity G on sensitivitySamples of the calibration
     * samples ({@link Calibration#outputGrams}); otherwise, or where the output does not depend on a layer, null.
     */
    private static List<double[]> outputGrams(ModelProto model, List<WeightedLayer> chosen,
                                              Map<WeightedLayer, Integer> nodeIndex, List<LayerMatrix> matrices,
                                              SvdParameters params, Calibration calibration,
                                              ProgressListener progress) throws InterruptedException {
        if (!params.outputAware()) {
            return java.util.Collections.nCopies(chosen.size(), null);
        }
        Calibration measured = calibration.limit(params.sensitivitySamples());
        progress.progress(0, "measuring how " + chosen.size() + " layers' outputs move the model's output on "
                + measured.samples() + " samples");
        List<OutputProbe> probes = new ArrayList<>();
        List<Integer> probed = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            WeightedLayer layer = chosen.get(i);
            // a recurrent node's output is its hidden state, not W's gates: W keeps its input weighting alone
            if (layer.kind() != LayerKind.RECURRENT) {
                probes.add(OutputProbe.of(layer.node(), model.getGraph().getNode(nodeIndex.get(layer)),
                        matrices.get(i).out()));
                probed.add(i);
            }
        }
        List<double[]> grams = new ArrayList<>(java.util.Collections.nCopies(chosen.size(), null));
        List<double[]> measuredGrams = probes.isEmpty() ? List.of()
                : measured.outputGrams(model, probes, OUTPUT_PROJECTIONS);
        for (int k = 0; k < probed.size(); k++) {
            grams.set(probed.get(k), measuredGrams.get(k));
        }
        return grams;
    }

    private static int[] ranks(SvdParameters params, ModelSummary summary, List<WeightedLayer> chosen,
                               List<LayerTruncation> factors, AccuracyBudget accuracy) throws InterruptedException {
        if (params.rule() == SvdParameters.RankRule.ACCURACY_DROP) {
            accuracy.choice = AccuracyRanks.choose(accuracy.model, factors, accuracy.data, params.value(),
                    accuracy.progress);
            int[] ranks = accuracy.choice.ranks().clone();
            for (int i = 0; i < ranks.length; i++) {
                if (ranks[i] == AccuracyRanks.DENSE) {
                    ranks[i] = factors.get(i).fullRank(); // which does not shrink it, so it stays dense
                }
            }
            return ranks;
        }
        return params.rule() == SvdParameters.RankRule.TARGET_PARAMETERS
                ? budgetRanks(summary, chosen, factors, (long) params.value())
                : factors.stream().mapToInt(f -> chooseRank(f, params)).toArray();
    }

    /**
     * For the maxAccuracyDrop rule: the original, the labelled samples top-1 is measured on, where its messages go,
     * and the choice once made.
     */
    private static final class AccuracyBudget {
        final ModelProto model;
        final Dataset data;
        final ProgressListener progress;
        AccuracyRanks.Choice choice;

        AccuracyBudget(ModelProto model, Dataset data, ProgressListener progress) {
            this.model = model;
            this.data = data;
            this.progress = progress;
        }
    }

    /**
     * A budget (of parameters or of accuracy) counts a layer that would not shrink as dense, so it is left dense
     * whatever onlyIfSmaller says.
     */
    static boolean leavesDense(SvdParameters params, int rank, LayerTruncation f, WeightedLayer layer) {
        return (params.onlyIfSmaller() || params.budgeted())
                && (long) rank * (f.rows() + f.cols()) >= layer.parameters();
    }

    private static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("svd cancelled");
        }
    }

    /** Cumulative kept energy against rank: tells a user which energy setting gives which rank. */
    private static List<double[]> energyCurve(LayerTruncation svd) {
        List<double[]> curve = new ArrayList<>();
        for (int r = 1; r <= svd.fullRank(); r++) {
            curve.add(new double[] {r, svd.energyAt(r)});
        }
        return curve;
    }

    /**
     * Ranks that bring the whole model to {@code target} parameters (see {@link RankBudget}): what the layers left
     * alone hold is fixed, the rest is shared out among the factorized layers, by a common relative cut-off of the
     * weights' spectra, or, whitened, at a common relative error of the layers' outputs.
     */
    private static int[] budgetRanks(ModelSummary summary, List<WeightedLayer> layers,
                                     List<LayerTruncation> factors, long target) {
        List<RankBudget.Layer> budgetLayers = new ArrayList<>();
        for (LayerTruncation f : factors) {
            budgetLayers.add(new RankBudget.Layer(f.singularValues(), f.rows(), f.cols(), f.fullRank()));
        }
        long fixed = summary.parameters() - layers.stream().mapToLong(WeightedLayer::parameters).sum();
        long floor = fixed + RankBudget.floor(budgetLayers, 1);
        if (target < floor) {
            throw new InvalidParametersException(List.of(unreachable(target, floor, fixed)));
        }
        // whitened, σ₁ carries the inputs' mean and a shared τ·σ₁ cut-off piles the cuts onto a few layers (MiniLM at
        // 70 %: mean cosine 0.832 against 0.857 for 70 % of each layer); an equal relative output error reached 0.862,
        // and is where OutputErrorRanks starts from
        return factors.stream().allMatch(LayerTruncation::whitened)
                ? RankBudget.allocateByRelativeError(budgetLayers, target - fixed, 1)
                : RankBudget.allocate(budgetLayers, target - fixed, 1);
    }

    static String unreachable(long target, long floor, long fixed) {
        return "targetParameters " + target + " is below the smallest model svd can make here: " + floor
                + " parameters at rank 1 in every factorized layer, " + fixed + " of them in what it leaves alone "
                + "(biases, skipped layers, other weights)";
    }

    static int chooseRank(LayerTruncation svd, SvdParameters params) {
        int full = svd.fullRank();
        int rows = svd.rows();
        int cols = svd.cols();
        int rank = switch (params.rule()) {
            case ENERGY -> svd.rankForEnergy(params.value());
            case DEFAULT_ENERGY -> svd.rankForEnergy(svd.whitened() ? DEFAULT_WHITENED_ENERGY : DEFAULT_ENERGY);
            case RATIO -> (int) Math.floor(params.value() * rows * (double) cols / (rows + cols));
            case RANK -> (int) Math.min(params.value(), full);
            case TARGET_PARAMETERS, ACCURACY_DROP, SPEEDUP ->
                    throw new IllegalStateException("budget ranks are chosen for all layers at once");
        };
        return Math.max(1, Math.min(rank, full));
    }

    static String describe(SvdParameters params, LayerTruncation svd, int rank) {
        return String.format(Locale.ROOT, "rank %d of %d by %s, keeping %.2f%% of the %s", rank,
                svd.fullRank(), params.rule() == SvdParameters.RankRule.TARGET_PARAMETERS ? "the parameter budget"
                        : params.rule() == SvdParameters.RankRule.DEFAULT_ENERGY ? "the default energy"
                        : params.rule() == SvdParameters.RankRule.ACCURACY_DROP ? "the accuracy budget"
                        : params.rule() == SvdParameters.RankRule.SPEEDUP ? "the speed target"
                        : params.rule().name().toLowerCase(Locale.ROOT), 100 * svd.energyAt(rank), svd.energyOf());
    }

    /**
     * A layer's own SVD, oriented so that the factors map directly onto layers: a conv's kernel as (out, in·kh·kw),
     * whose first factor's rows become r filters of the original kernel size; a dense weight as {@link LayerMatrix}
     * lays it out.
     */
    static LayerTruncation plainTruncation(WeightedLayer layer, int nodeIndex, NodeProto node,
                                                   TensorProto weight) {
        if (layer.kind() == LayerKind.CONV) {
            float[] w = Tensors.toFloats(weight);
            long[] dims = weight.getDimsList().stream().mapToLong(Long::longValue).toArray();
            int out = Math.toIntExact(dims[0]);
            int rest = w.length / out;
            double[] m = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                m[i] = w[i];
            }
            LowRank svd = new LowRank(m, out, rest);
            // first: r filters (r, in, kh, kw) from √Σ·Vᵀ; second: 1×1 conv (out, r, 1, 1) from U·√Σ (one kernel
            // axis fewer for a 1-D conv)
            return new LayerTruncation(out, rest, svd.singularValues(), false, "energy",
                    r -> new FactorizedExport.Replacement(nodeIndex, layer.node(), svd.right(r),
                            LayerMatrix.filterDims(r, dims), svd.left(r, 1), LayerMatrix.pointwiseDims(out, r, dims)));
        }
        LayerMatrix m = LayerMatrix.of(layer, nodeIndex, node, weight);
        LowRank svd = new LowRank(m.matrix(), m.in(), m.out());
        return new LayerTruncation(m.in(), m.out(), svd.singularValues(), false, "energy",
                r -> m.twoFactors(r, svd.left(r, 1), svd.right(r)));
    }

    /**
     * A layer's weight whitened by its inputs, and by its output's effect on the model's where {@code outputGram} is
     * given: W (in × out) as {@link LayerMatrix} lays it out.
     */
    private static LayerTruncation whitenedTruncation(LayerMatrix m, LayerInputs inputs, double[] outputGram,
                                                      String how) {
        WhitenedSvd svd = WhitenedSvd.of(m.matrix(), m.in(), m.out(), inputs, outputGram, WhitenedSvd.DAMPING);
        return new LayerTruncation(m.in(), m.out(), svd.singularValues(), true, (outputGram == null
                ? "output energy, " : "model-output energy, ") + how,
                r -> m.twoFactors(r, svd.first(r), svd.second(r)));
    }
}
