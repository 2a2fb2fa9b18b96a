package io.caas.engine.compress.oialr;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import io.caas.engine.compress.AccuracyGuard;
import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerMatrix;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.LayerSelection;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.compress.SpeedCheck;
import io.caas.engine.compress.SpeedCheckParameters;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.Subgraphs;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.runtime.DeviceChoice;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.WeightExport;
import io.caas.engine.train.FineTuner;
import io.caas.engine.train.Teacher;
import io.caas.engine.train.TrainedParameters;
import io.caas.engine.train.TrainingConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * OIALR, orthogonality-informed adaptive low-rank training (Coquelin et al. 2024, arXiv 2401.08505). Each eligible
 * weight W = U·Σ·Vᵀ is trained as three layers x·A·S·B with the bases A = U and B = Vᵀ frozen and the core S a
 * full, trainable r×r matrix (biases and every layer left dense train too). Every {@code frequency} optimizer
 * steps the core is decomposed, S = Uσ·diag(σ)·Vσᵀ, the bases rotated (A ← A·Uσ, B ← Vσᵀ·B), S set to diag(σ),
 * and the singular values below {@code sigmaCutoff·max σ} dropped — at most half the rank at a time, never below
 * {@code minRank}. The exported model holds two factors per layer (S folded into both as √σ) where that is smaller
 * than the dense weight, else the dense product.
 *
 * <p>Implementation: training runs on the engine's interpreter through {@link FineTuner}, one call per
 * {@code frequency} steps, on a graph rebuilt at the current ranks. The optimizer (Adam) therefore starts afresh
 * after every re-orthogonalisation: its moments for S would be in the old basis anyway, but those of the dense
 * parameters are lost too. Each chunk shuffles with its own seed, so chunks see different batches.
 */
public final class OialrMethod implements CompressionMethod {

    public static final String NAME = "oialr";

    private static final String KEPT_DENSE = "kept dense";
    private static final String NEEDS_DATA =
            "oialr trains the model: give training data (labelled, or unlabelled to distil the original)";

    /**
     * Steps between re-orthogonalisations. Chosen: the paper tunes this per task (hundreds to thousands of steps
     * over full trainings); fine-tuning a trained model runs far fewer steps, and 100 gives several rank
     * reductions within one Fashion-MNIST epoch at batch 64 (938 steps).
     */
    public static final int DEFAULT_FREQUENCY = 100;
    /**
     * Relative singular-value cutoff β: σ &lt; β·max σ is dropped. The paper treats β as a tuned hyperparameter
     * (values around 0.1 to 0.2 in its runs, as far as we recall; not re-checked offline). Chosen from a measurement
     * here, compressing an MLP (784-512-256-10) trained for 3 epochs on Fashion-MNIST with 2 more epochs of oialr
     * (OialrBenchmarkTest): at 0.1 no singular value fell below the cutoff and every layer stayed at full rank
     * (top-1 0.888, i.e. plain continued training); 0.2 kept 55 % of the parameters at top-1 0.887; 0.3 kept
     * 21 % at 0.883 (original 0.870). Fine-tuning a trained model moves spectra far less than the paper's
     * training from scratch, so the paper's lower values leave such a model as it was.
     */
    public static final double DEFAULT_SIGMA_CUTOFF = 0.2;
    /** Chosen: keeps S a trainable matrix (the interpreter holds a 1×1 weight as a fixed scalar). */
    public static final int DEFAULT_MIN_RANK = 2;
    /** Chosen: Adam at the usual 1e-3; the paper trains Σ with the network's own optimizer and schedule. */
    public static final double DEFAULT_LEARNING_RATE = 1e-3;
    /**
     * Chosen: one pass over the training data, unless the budget sets maxSteps alone; then the step cap alone
     * limits training (as many passes as it takes).
     */
    public static final int DEFAULT_EPOCHS = 1;
    /** Chosen: a common small-batch size that fits CPU fine-tuning. */
    public static final int DEFAULT_BATCH_SIZE = 64;

    /** Chosen: the share of the steps over which a parameter budget is reached; the rest trains at the target. */
    public static final double BUDGET_RAMP = 0.5;

    private static final long SEED = 17;

    private static final MethodDescriptor DESCRIPTOR = new MethodDescriptor(NAME, "OIALR low-rank training",
            "Trains each Gemm/MatMul/Conv weight, and the input weights W of LSTM/GRU/RNN nodes, in SVD form with "
                    + "frozen orthonormal bases and a trainable core, "
                    + "periodically re-orthogonalising and dropping small singular values, so ranks fall while "
                    + "the model trains (Coquelin et al. 2024); layers inside If branches and Loop/Scan bodies train "
                    + "where they sit, through the branch taken and every iteration. Needs training data: with labels it trains by "
                    + "cross-entropy, without it distils the original model's outputs (MSE). Learning rate, "
                    + "epochs, steps and batch size come from the job's training budget (defaults: Adam 1e-3, batch 64, 1 "
                    + "epoch, or maxSteps alone where only that is set). What trains besides the cores is the budget's "
                    + "train: by default the other layers and biases, with embedding tables and normalisation frozen.",
            Set.of(LayerKind.DENSE, LayerKind.CONV, LayerKind.RECURRENT), true, OialrParameters.ALL);

    private final SpeedCheck.Factory speedCheck;

    public OialrMethod() {
        this(SpeedCheck.Factory.ONNX_RUNTIME);
    }

    /** @param speedCheck what judges a factorized layer, and the factorized model, faster or not (onlyIfFaster) */
    public OialrMethod(SpeedCheck.Factory speedCheck) {
        this.speedCheck = speedCheck;
    }

    @Override
    public MethodDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<Map<String, Object>> withSpeedCheck(Map<String, Object> parameters, int batchSize) {
        return SpeedCheckParameters.withCheck(parameters, batchSize);
    }

    @Override
    public void validate(Map<String, Object> parameters, ModelSummary model) {
        OialrParameters params = OialrParameters.parse(parameters, model);
        if (params.targetParameters() > 0) {
            // from names and shapes alone; the run checks again with what only the weights tell (dtype, sharing)
            List<WeightedLayer> layers = LayerSite.layers(model);
            LayerSelection selection = selection(model, params);
            List<WeightedLayer> lowRank = layers.stream()
                    .filter(l -> selection.skipReason(l, KEPT_DENSE) == null && skinny(l, params) == null).toList();
            long fixed = model.parameters() - lowRank.stream().mapToLong(WeightedLayer::parameters).sum();
            long floor = fixed + RankBudget.floorOfShapes(lowRank.stream().map(WeightedLayer::matrixShape).toList(),
                    params.minRank());
            if (params.targetParameters() < floor) {
                throw new InvalidParametersException(List.of(unreachable(params.targetParameters(), floor, fixed,
                        params.minRank())));
            }
        }
    }

    /**
     * As {@link #validate}, plus what the run refuses before training: no training data, no layer left to train in
     * low-rank form once the weights are seen (float32, not shared), a target below those layers' floor.
     */
    @Override
    public void check(Map<String, Object> parameters, ModelProto model, ModelSummary summary,
                      boolean hasTrainingData) {
        OialrParameters params = OialrParameters.parse(parameters, summary);
        if (!hasTrainingData) {
            throw new InvalidParametersException(List.of(NEEDS_DATA));
        }
        LayerSelection selection = selection(summary, params);
        Map<String, String> skipped = new LinkedHashMap<>();
        List<WeightedLayer> lowRank = new ArrayList<>();
        for (LayerSite site : LayerSite.of(model, summary)) {
            String skip = skipReason(site, params, selection);
            if (skip == null) {
                lowRank.add(site.layer());
            } else {
                skipped.put(site.layer().node(), skip);
            }
        }
        if (lowRank.isEmpty()) {
            throw new InvalidParametersException(List.of(nothingToTrain(skipped)));
        }
        if (params.targetParameters() > 0) {
            long fixed = summary.parameters() - lowRank.stream().mapToLong(WeightedLayer::parameters).sum();
            long floor = fixed + RankBudget.floorOfShapes(lowRank.stream().map(WeightedLayer::matrixShape).toList(),
                    params.minRank());
            if (params.targetParameters() < floor) {
                throw new InvalidParametersException(List.of(unreachable(params.targetParameters(), floor, fixed,
                        params.minRank())));
            }
        }
    }

    /**
     * skipFirstAndLast over the main graph's layers: the model's first convolution and its classifier are there; a
     * layer inside a branch or loop body is neither.
     */
    private static LayerSelection selection(ModelSummary summary, OialrParameters params) {
        return LayerSelection.of(summary.layers().stream().filter(LowRankLayers::eligible).toList(),
                params.layers(), params.skipFirstAndLast());
    }

    private static String nothingToTrain(Map<String, String> skipped) {
        return "no layer is left for oialr to train in low-rank form: " + skipped.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + ")").toList();
    }

    /** Every layer kind oialr trains, in low-rank form where it sits inside its subgraph. */
    @Override
    public boolean appliesInsideSubgraph(WeightedLayer layer) {
        return LowRankLayers.eligible(layer);
    }

    @Override
    public Set<String> sizeParameters() {
        return Set.of(OialrParameters.TARGET_PARAMETERS.name());
    }

    /** A job's accuracy target bounds what training may cost, unless the request sets the bound itself. */
    @Override
    public Optional<Map<String, Object>> withAccuracyBudget(Map<String, Object> parameters, double maxDrop) {
        if (parameters.containsKey(OialrParameters.MAX_ACCURACY_DROP.name())) {
            return Optional.empty();
        }
        Map<String, Object> bounded = new LinkedHashMap<>(parameters);
        bounded.put(OialrParameters.MAX_ACCURACY_DROP.name(), maxDrop);
        return Optional.of(bounded);
    }

    @Override
    public CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException {
        return run(task, progress).result();
    }

    /**
     * The result plus the final three-factor training graph (A·S·B per layer, at the final ranks, S diagonal),
     * which the exported two-factor model must reproduce.
     */
    public record Outcome(CompressionResult result, ModelProto finalFactorized, long steps) {
    }

    /** One layer in training; {@code subgraph} is where it sits (its path), or null in the main graph. */
    private record Trained(LayerMatrix matrix, LowRankFactors factors, long originalRank, String subgraph) {

        FactorizedExport.Replacement threeFactors() {
            return matrix.threeFactors(factors.rank(), factors.a(), factors.s(), factors.b());
        }

        FactorizedExport.Replacement twoFactors() {
            return matrix.twoFactors(factors.rank(), factors.a(), factors.s(), factors.b());
        }
    }

    public Outcome run(CompressionTask task, ProgressListener progress) throws InterruptedException {
        ModelProto original = task.model();
        ModelSummary summary = ModelInspector.inspect(original);
        OialrParameters params = OialrParameters.parse(task.parameters(), summary);
        Dataset data = task.trainData().orElseThrow(() -> new InvalidParametersException(List.of(NEEDS_DATA)));
        TrainingBudget.Resolved b = (task.budget() == null ? TrainingBudget.DEFAULTS : task.budget())
                .resolve(DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE, DEFAULT_EPOCHS);
        int batch = b.batchSize();
        int epochs = b.epochs();
        double lr = b.learningRate();
        long maxSteps = b.maxSteps();
        long perEpoch = (data.size() + batch - 1) / batch;
        long total = epochs == Integer.MAX_VALUE ? Long.MAX_VALUE : perEpoch * epochs;
        if (maxSteps > 0) {
            total = Math.min(total, maxSteps);
        }

        List<LayerSite> sites = LayerSite.of(original, summary);
        List<WeightedLayer> layers = sites.stream().map(LayerSite::layer).toList();
        LayerSelection selection = selection(summary, params);
        Map<String, LayerReport> denseReports = new LinkedHashMap<>();
        List<Trained> trained = new ArrayList<>();
        for (LayerSite site : sites) {
            WeightedLayer layer = site.layer();
            long[] shape = layer.matrixShape();
            long full = Math.min(shape[0], shape[1]);
            String skip = skipReason(site, params, selection);
            if (skip != null) {
                denseReports.put(layer.node(), new LayerReport(layer.node(), layer.opType(), shape, full, full,
                        layer.parameters(), layer.parameters(), false, skip));
                continue;
            }
            LayerMatrix m = LayerMatrix.of(layer, site.nodeIndex(), site.node(), site.weight());
            trained.add(new Trained(m, LowRankFactors.ofMatrix(m.matrix(), m.in(), m.out()), full, site.subgraph()));
        }
        if (trained.isEmpty()) {
            Map<String, String> skipped = new LinkedHashMap<>();
            denseReports.values().forEach(r -> skipped.put(r.node(), r.note()));
            throw new InvalidParametersException(List.of(nothingToTrain(skipped)));
        }

        Allowance allowance = Allowance.of(params, summary, trained, total);
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        List<double[]> lossCurve = new ArrayList<>();
        List<double[]> rankCurve = new ArrayList<>();
        curves.put("loss", lossCurve);
        curves.put("totalRank", rankCurve);
        recordRanks(trained, 0, curves, rankCurve, progress);
        progress.progress(0, String.format(Locale.ROOT, "%d layers in SVD form at full rank %d; %d steps, "
                + "re-orthogonalising every %d", trained.size(), totalRank(trained), total, params.frequency()));

        ModelProto base = original; // the original graph, carrying the trained values of every dense parameter
        long step = 0;
        int chunk = 0;
        Device device = task.trainingDevice();
        InterpretedModel teacherModel = data.labelled() ? null : OnnxInterpreter.load(original, device);
        // one teacher across the chunks, so that its outputs, once kept, serve every later chunk
        Teacher teacher = teacherModel == null ? null : new Teacher(teacherModel);
        try {
            while (step < total) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("oialr cancelled after " + step + " steps");
                }
                long steps = Math.min(params.frequency(), total - step);
                Factored graph = Factored.of(base, trained, Trained::threeFactors);
                try (InterpretedModel model = OnnxInterpreter.load(graph.model(), device)) {
                    Map<String, Parameter> p = model.block().weightParameters();
                    Set<String> factors = new HashSet<>();
                    for (Trained t : trained) {
                        List<String> names = graph.factorNames().get(t);
                        freeze(p.get(names.get(0)));
                        freeze(p.get(names.get(2)));
                        factors.addAll(names);
                    }
                    TrainedParameters scope = TrainedParameters.select(model.block(), factors, b.train());
                    TrainingConfig cfg = new TrainingConfig(TrainingConfig.OptimizerKind.ADAM, (float) lr, batch,
                            Integer.MAX_VALUE, steps, TrainingConfig.Objective.AUTO, 1f, SEED + chunk,
                            b.embeddingUpdates());
                    if (chunk == 0) {
                        // the chunks' own progress messages become step counts, so what trains is said here
                        progress.progress(0, "fine-tuning on the " + DeviceChoice.describe(device) + ": "
                                + scope.describe());
                        FineTuner.sparseTablesNote(model.block(), cfg).ifPresent(note -> progress.progress(0, note));
                    }
                    FineTuner.trainWithTeacher(model, data, teacher, cfg,
                            chunkListener(progress, lossCurve, step, steps, total));
                    base = WeightExport.withTrainedWeights(base, model.block());
                    for (Trained t : trained) {
                        float[] core = p.get(graph.factorNames().get(t).get(1)).getArray().toFloatArray();
                        t.factors().setS(t.matrix().coreFromWeight(core, t.factors().rank()));
                    }
                }
                step += steps;
                chunk++;
                boolean cut = steps == params.frequency();
                List<double[]> sigmas = new ArrayList<>();
                for (Trained t : trained) {
                    sigmas.add(t.factors().reorthogonalize());
                }
                int[] budgetRanks = allowance.ranks(trained, sigmas, step, params.minRank());
                for (int i = 0; i < trained.size(); i++) {
                    int k = cut ? LowRankFactors.keptRank(sigmas.get(i), params.sigmaCutoff(), params.minRank())
                            : trained.get(i).factors().rank();
                    trained.get(i).factors().truncate(Math.min(k, budgetRanks[i]));
                }
                recordRanks(trained, step, curves, rankCurve, progress);
                progress.progress(0.95 * step / total, String.format(Locale.ROOT,
                        "step %d/%d: re-orthogonalised%s, total rank %d", step, total, cut ? " and cut" : "",
                        totalRank(trained)));
            }
        } finally {
            if (teacherModel != null) {
                teacherModel.close();
            }
        }

        // Export: two factors where that is smaller (and, with onlyIfFaster, times faster), else the dense product
        // back in the original layout: the same function as the trained low-rank layer, at the dense layer's cost.
        ModelProto finalFactorized = Factored.of(base, trained, Trained::threeFactors).model();
        SpeedCheck speed = params.onlyIfFaster() && params.targetParameters() == 0
                ? speedCheck.of(original, trained.stream().filter(t -> t.subgraph() == null)
                        .map(t -> t.matrix().nodeIndex()).toList(), Optional.of(data), params.timingBatchSize())
                : null;
        List<Trained> exported = new ArrayList<>();
        Map<String, LayerReport> reports = new LinkedHashMap<>();
        for (Trained t : trained) {
            WeightedLayer layer = t.matrix().layer();
            int r = t.factors().rank();
            long after = t.factors().factorizedParameters();
            String trainedTo = "rank " + r + " of " + t.originalRank() + " after " + step + " steps of low-rank "
                    + "training";
            SpeedCheck.Verdict verdict = null;
            if (after < t.matrix().parameters() && speed != null && t.subgraph() == null) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("oialr cancelled while timing its layers");
                }
                verdict = speed.check(t.twoFactors());
            }
            if (after < t.matrix().parameters() && (verdict == null || verdict.faster())) {
                exported.add(t);
                String where = t.subgraph() == null ? "" : ", inside " + t.subgraph() + (speed == null ? ""
                        : "; not timed alone (a branch or loop body runs only when taken), so the whole model's "
                        + "timing decides");
                reports.put(layer.node(), new LayerReport(layer.node(), layer.opType(), layer.matrixShape(),
                        t.originalRank(), r, layer.parameters(), after, true,
                        trainedTo + where + (verdict == null ? "" : "; " + verdict.note())));
            } else {
                base = replaceWeight(base, t.matrix().denseWeight(t.factors().product()));
                reports.put(layer.node(), new LayerReport(layer.node(), layer.opType(), layer.matrixShape(),
                        t.originalRank(), t.originalRank(), layer.parameters(), layer.parameters(), false,
                        after >= t.matrix().parameters() ? "trained to rank " + r + ", written back dense: two "
                                + "factors (" + after + " parameters) would not be smaller than " + layer.parameters()
                                : "trained to " + trainedTo + ", written back dense: " + verdict.note()
                                + ", not faster"));
            }
        }
        ModelProto compressed = Factored.of(base, exported, Trained::twoFactors).model();
        if (speed != null && !exported.isEmpty()) {
            // each layer faster alone does not make the model faster: it is timed as a whole too, and every
            // layer written back dense (the trained function, at the original's cost) unless it is faster
            progress.progress(0.96, "timing the factorized model against the original");
            SpeedCheck.Verdict whole = speed.checkModel(compressed);
            if (!whole.faster()) {
                for (Trained t : exported) {
                    WeightedLayer layer = t.matrix().layer();
                    base = replaceWeight(base, t.matrix().denseWeight(t.factors().product()));
                    LayerReport was = reports.get(layer.node());
                    reports.put(layer.node(), new LayerReport(layer.node(), layer.opType(), layer.matrixShape(),
                            t.originalRank(), t.originalRank(), layer.parameters(), layer.parameters(), false,
                            "trained to " + was.note() + ", written back dense: " + whole.note() + ", not faster, "
                                    + "so every layer was written back dense"));
                }
                exported.clear();
                compressed = base;
            } else {
                progress.progress(0.96, whole.note());
            }
        }
        List<LayerReport> ordered = new ArrayList<>();
        for (WeightedLayer layer : layers) {
            ordered.add(reports.containsKey(layer.node()) ? reports.get(layer.node()) : denseReports.get(layer.node()));
        }
        if (!Double.isNaN(params.maxAccuracyDrop())) {
            if (Thread.interrupted()) {
                throw new InterruptedException("oialr cancelled while measuring what training cost");
            }
            progress.progress(0.98, "measuring what low-rank training cost against the original");
            AccuracyGuard.Verdict kept = AccuracyGuard.check(original, compressed, Optional.of(data),
                    params.maxAccuracyDrop());
            if (!kept.within()) {
                // the trained dense parameters moved too, so only the original as a whole undoes the loss
                List<LayerReport> unchanged = ordered.stream().map(l -> new LayerReport(l.node(), l.opType(),
                        l.matrixShape(), l.originalRank(), l.originalRank(), l.parametersBefore(),
                        l.parametersBefore(), false, l.factorized() || reports.containsKey(l.node())
                        ? "trained, then returned as it was: " + kept.note() : l.note())).toList();
                progress.progress(1.0, "the trained model lost too much (" + kept.note() + "); the original is "
                        + "returned unchanged");
                return new Outcome(new CompressionResult(original, unchanged, curves), finalFactorized, step);
            }
            progress.progress(0.99, "what training cost: " + kept.note());
        }
        progress.progress(1.0, exported.size() + " of " + layers.size() + " layers exported in factorized form, "
                + "total rank " + totalRank(trained));
        return new Outcome(new CompressionResult(compressed, ordered, curves), finalFactorized, step);
    }

    /**
     * A parameter budget spread over the run: what the trained layers may cost after each step, falling linearly
     * from their dense size to the target over the first {@link #BUDGET_RAMP} of the steps. Without a target every
     * layer may keep its current rank.
     */
    private record Allowance(long start, long target, long rampSteps) {

        /** No target: every layer may keep its rank. */
        static final Allowance UNBOUNDED = new Allowance(0, 0, 0);

        static Allowance of(OialrParameters params, ModelSummary summary, List<Trained> trained, long total) {
            if (params.targetParameters() == 0) {
                return UNBOUNDED;
            }
            long dense = trained.stream().mapToLong(t -> t.matrix().layer().parameters()).sum();
            long fixed = summary.parameters() - dense;
            long floor = fixed + RankBudget.floorOfShapes(trained.stream()
                    .map(t -> new long[] {t.matrix().in(), t.matrix().out()}).toList(), params.minRank());
            if (params.targetParameters() < floor) {
                throw new InvalidParametersException(List.of(unreachable(params.targetParameters(), floor, fixed,
                        params.minRank())));
            }
            return new Allowance(dense, params.targetParameters() - fixed,
                    Math.max(1, (long) Math.ceil(BUDGET_RAMP * total)));
        }

        int[] ranks(List<Trained> trained, List<double[]> sigmas, long step, int minRank) {
            int[] current = trained.stream().mapToInt(t -> t.factors().rank()).toArray();
            if (this == UNBOUNDED) {
                return current;
            }
            long allowed = start - Math.round((start - target) * Math.min(1.0, (double) step / rampSteps));
            List<RankBudget.Layer> layers = new ArrayList<>();
            for (int i = 0; i < trained.size(); i++) {
                LayerMatrix m = trained.get(i).matrix();
                layers.add(new RankBudget.Layer(sigmas.get(i), m.in(), m.out(), current[i]));
            }
            return RankBudget.allocate(layers, allowed, minRank);
        }
    }

    static String unreachable(long target, long floor, long fixed, int minRank) {
        return "targetParameters " + target + " is below the smallest model oialr can make here: " + floor
                + " parameters at rank " + minRank + " (minRank) in every low-rank layer, " + fixed
                + " of them in what it leaves dense (biases, skipped layers, other weights)";
    }

    private static void freeze(Parameter p) {
        if (p != null) {
            p.freeze(true);
        }
    }

    private static ProgressListener chunkListener(ProgressListener progress, List<double[]> lossCurve, long offset,
                                                  long steps, long total) {
        return new ProgressListener() {
            @Override
            public void progress(double fraction, String message) {
                long at = offset + Math.round(fraction * steps);
                progress.progress(0.95 * at / total, String.format(Locale.ROOT, "training step %d/%d", at, total));
            }

            @Override
            public void metric(String name, long step, double value) {
                if (name.equals("loss")) {
                    lossCurve.add(new double[] {offset + step, value});
                    progress.metric("loss", offset + step, value);
                }
            }
        };
    }

    private static void recordRanks(List<Trained> trained, long step, Map<String, List<double[]>> curves,
                                    List<double[]> rankCurve, ProgressListener progress) {
        long total = totalRank(trained);
        rankCurve.add(new double[] {step, total});
        progress.metric("totalRank", step, total);
        for (Trained t : trained) {
            String name = "rank:" + t.matrix().layer().node();
            curves.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {step, t.factors().rank()});
            progress.metric(name, step, t.factors().rank());
        }
    }

    private static long totalRank(List<Trained> trained) {
        return trained.stream().mapToLong(t -> t.factors().rank()).sum();
    }

    private static String skipReason(LayerSite site, OialrParameters params, LayerSelection selection) {
        WeightedLayer layer = site.layer();
        String named = selection.skipReason(layer, KEPT_DENSE);
        if (named != null) {
            return named;
        }
        if (site.weight().getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            return "weight is not float32";
        }
        String skinny = skinny(layer, params);
        if (skinny != null) {
            return skinny;
        }
        if (site.readers() > 1) {
            return "weight shared by " + site.readers() + " nodes";
        }
        return null;
    }

    private static String skinny(WeightedLayer layer, OialrParameters params) {
        long[] shape = layer.matrixShape();
        double breakEven = (double) shape[0] * shape[1] / (shape[0] + shape[1]);
        return breakEven > params.minRank() ? null : String.format(Locale.ROOT, "too skinny: two factors are "
                + "smaller only below rank %.1f, and minRank is %d", breakEven, params.minRank());
    }

    /**
     * The same model with one weight (initializer or Constant node, in the main graph or any subgraph) holding new
     * values.
     */
    static ModelProto replaceWeight(ModelProto model, TensorProto weight) {
        boolean[] found = {false};
        GraphProto main = replaceWeight(model.getGraph(), weight, found);
        GraphProto all = Subgraphs.rewrite(main, (path, g) -> replaceWeight(g, weight, found));
        if (!found[0]) {
            throw new IllegalStateException("weight '" + weight.getName() + "' not found in the model");
        }
        return model.toBuilder().setGraph(all).build();
    }

    private static GraphProto replaceWeight(GraphProto graph, TensorProto weight, boolean[] found) {
        GraphProto.Builder g = graph.toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getName().equals(weight.getName())) {
                found[0] = true;
                return g.setInitializer(i, weight).build();
            }
        }
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (n.getOpType().equals("Constant") && n.getOutputCount() == 1 && n.getOutput(0).equals(weight.getName())) {
                NodeProto.Builder nb = n.toBuilder();
                for (int a = 0; a < nb.getAttributeCount(); a++) {
                    AttributeProto attr = nb.getAttribute(a);
                    if (attr.getName().equals("value") && attr.hasT()) {
                        nb.setAttribute(a, attr.toBuilder().setT(weight));
                    }
                }
                found[0] = true;
                return g.setNode(i, nb).build();
            }
        }
        return graph;
    }

    /**
     * A model with trained layers in factorized form, each in the graph that holds it, and the names its factors
     * were given (first to last).
     */
    private record Factored(ModelProto model, Map<Trained, List<String>> factorNames) {

        static Factored of(ModelProto base, List<Trained> layers,
                           Function<Trained, FactorizedExport.Replacement> form) {
            FactorizedExport main = new FactorizedExport(base, NAME);
            ModelProto withMain = main.apply(layers.stream().filter(t -> t.subgraph() == null).map(form).toList());
            Map<String, FactorizedExport.Replacement> nested = new LinkedHashMap<>();
            layers.stream().filter(t -> t.subgraph() != null)
                    .forEach(t -> nested.put(t.matrix().layer().node(), form.apply(t)));
            FactorizedExport inSubgraphs = new FactorizedExport(withMain, NAME);
            ModelProto model = inSubgraphs.applyInSubgraphs(nested);
            Map<Trained, List<String>> names = new IdentityHashMap<>();
            for (Trained t : layers) {
                names.put(t, t.subgraph() == null ? main.factorNames().get(t.matrix().nodeIndex())
                        : inSubgraphs.factorNamesByPath().get(t.matrix().layer().node()));
            }
            return new Factored(model, names);
        }
    }
}
