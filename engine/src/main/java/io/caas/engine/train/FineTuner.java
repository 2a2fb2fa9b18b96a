package io.caas.engine.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.runtime.GatheredRows;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxBlock;
import io.caas.engine.runtime.OnnxGraph;
import io.caas.engine.runtime.OnnxNode;
import io.caas.engine.runtime.TorchRuntime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * Fine-tunes an interpreted model's unfrozen parameters in place: with labels by cross-entropy, without by
 * distillation against a teacher (normally the model before compression). Single-input models, models with several
 * inputs fed from a dataset with one part per input ({@link Dataset#inputs()}), and token models
 * such as BERT encoders: there the dataset carries the token ids (as floats, padded with id 0) and the other
 * inputs are derived, see {@link TokenInputs}; their distillation loss is the MSE over non-padding positions. A model
 * that declares a batch of 1 trains one sample at a time, its gradients added up over each batch: the same step as a
 * batch would give, at one forward and backward pass per sample.
 * Cancellation follows the engine's convention: the thread's interrupt flag, checked before every step.
 */
public final class FineTuner {

    private FineTuner() {
    }

    public static TrainingResult train(InterpretedModel student, Dataset data, InterpretedModel teacher,
                                       TrainingConfig cfg, ProgressListener listener) throws InterruptedException {
        return trainWithTeacher(student, data, teacher == null ? null : new Teacher(teacher), cfg, listener);
    }

    /**
     * As {@link #train(InterpretedModel, Dataset, InterpretedModel, TrainingConfig, ProgressListener)}, with a
     * teacher whose outputs may already be kept from an earlier run on the same data.
     */
    public static TrainingResult trainWithTeacher(InterpretedModel student, Dataset data, Teacher teacher,
                                       TrainingConfig cfg, ProgressListener listener) throws InterruptedException {
        TokenInputs tokens = student.inputNames().size() == 1 || data.multiInput() ? null
                : TokenInputs.of(student.block().graph());
        TrainingConfig.Objective objective = resolve(cfg.objective(), data, teacher);
        boolean isProbability = endsInSoftmax(student.block().graph());
        Map<String, Parameter> byRows = sparseTables(student.block(), cfg);
        List<Parameter> trainable = new ArrayList<>();
        for (var p : student.block().getParameters().values()) {
            if (p.requiresGradient() && !byRows.containsValue(p)) {
                trainable.add(p);
            }
        }
        if (trainable.isEmpty() && byRows.isEmpty()) {
            throw new IllegalArgumentException("every parameter is frozen: nothing to fine-tune");
        }
        sparseTablesNote(byRows.keySet(), cfg).ifPresent(note -> listener.progress(0, note));
        Optimizer optimizer = optimizer(cfg);
        boolean oneAtATime = student.block().graph().declaresBatchOfOne();
        if (oneAtATime && cfg.batchSize() > 1) {
            listener.progress(0, "the model declares a batch of 1: each step runs its " + cfg.batchSize()
                    + " samples one at a time and adds up their gradients");
        }

        int n = data.size();
        int batchesPerEpoch = (n + cfg.batchSize() - 1) / cfg.batchSize();
        long planned = (long) batchesPerEpoch * cfg.epochs();
        long total = cfg.maxSteps() > 0 ? Math.min(planned, cfg.maxSteps()) : planned;
        Random rnd = new Random(cfg.seed());
        int[] order = Batches.identity(n);
        ParameterStore ps = new ParameterStore(student.manager(), false);
        Engine engine = TorchRuntime.engine();
        long step = 0;
        double firstLoss = Double.NaN;
        double epochLoss = Double.NaN;
        int epoch = 0;
        // A table read by rows gets no gradient of its own: frozen for the run, its rows' gradients come from the
        // leaves GatheredRows makes, and the weight is unfrozen again afterwards.
        byRows.values().forEach(p -> p.freeze(true));
        try (TrainableParameters params = new TrainableParameters(trainable, student.block().packedWeights(),
                student.manager());
             ScaledBackward backward = new ScaledBackward(student.manager());
             GatheredRows rows = new GatheredRows(byRows.keySet(), student.manager())) {
            if (!byRows.isEmpty()) {
                student.block().recordGatheredRows(rows);
            }
            while (epoch < cfg.epochs() && step < total) {
                shuffle(order, rnd);
                double sum = 0;
                int count = 0;
                for (int from = 0; from < n && step < total; from += cfg.batchSize()) {
                    if (Thread.interrupted()) {
                        throw new InterruptedException("fine-tuning cancelled after " + step + " steps");
                    }
                    int to = Math.min(n, from + cfg.batchSize());
                    // one pass over the whole batch, or one per sample for a model that runs one at a time, each
                    // sample's loss weighted 1/batch so that the gradients add up to the batch mean's
                    int passes = oneAtATime ? to - from : 1;
                    double loss = 0;
                    for (int pass = 0; pass < passes; pass++) {
                        int a = oneAtATime ? from + pass : from;
                        int b = oneAtATime ? a + 1 : to;
                        try (NDManager batch = student.manager().newSubManager()) {
                            NDList inputs;
                            NDArray x;
                            if (data.multiInput()) {
                                inputs = Batches.inputs(batch, data, student.inputNames(), order, a, b);
                                x = inputs.head();
                            } else {
                                x = Batches.features(batch, data, order, a, b);
                                inputs = tokens == null ? new NDList(x) : tokens.inputs(x);
                            }
                            NDArray target = objective == TrainingConfig.Objective.CROSS_ENTROPY
                                    ? Batches.labels(batch, data, order, a, b)
                                    : teacher.outputs(inputs, data, order, a, b);
                            try (GradientCollector gc = engine.newGradientCollector()) {
                                NDArray out = student.block().forward(ps, inputs, true).head();
                                Losses.ScaledLoss l = switch (objective) {
                                    case CROSS_ENTROPY -> Losses.crossEntropy(out, isProbability, target);
                                    case KL_DIVERGENCE -> Losses.ScaledLoss.of(
                                            Losses.kl(out, target, isProbability, cfg.temperature()));
                                    default -> Losses.ScaledLoss.of(tokens != null && out.getShape().dimension() == 3
                                            ? Losses.maskedMse(out, target, tokens.mask(x))
                                            : Losses.mse(out, target));
                                };
                                if (passes > 1) {
                                    l = new Losses.ScaledLoss(l.unscaled(), l.scale() / passes);
                                }
                                backward.run(l);
                                loss += l.value();
                            }
                        }
                    }
                    params.update(optimizer);
                    if (!byRows.isEmpty()) {
                        updateRows((DenormalSafeAdam) optimizer, rows, byRows, student.manager());
                    }
                    if (!Double.isFinite(loss)) {
                        throw new IllegalStateException("training diverged: loss is " + loss + " at step " + step);
                    }
                    if (step == 0) {
                        firstLoss = loss;
                    }
                    step++;
                    sum += loss;
                    count++;
                    listener.metric("loss", step, loss);
                    listener.progress((double) step / total, "epoch " + (epoch + 1) + ", step " + step + "/" + total
                            + ", loss " + fourDecimals(loss));
                }
                epochLoss = sum / Math.max(1, count);
                epoch++;
            }
        } finally {
            student.block().recordGatheredRows(null);
            byRows.values().forEach(p -> p.freeze(false));
        }
        return new TrainingResult(step, epoch, firstLoss, epochLoss);
    }

    /**
     * What a run with {@code cfg} on {@code block}, as it is frozen now, updates by rows, for the job's log; empty
     * unless {@code cfg} asks for {@link EmbeddingUpdates#SPARSE}.
     */
    public static Optional<String> sparseTablesNote(OnnxBlock block, TrainingConfig cfg) {
        return sparseTablesNote(sparseTables(block, cfg).keySet(), cfg);
    }

    private static Optional<String> sparseTablesNote(Set<String> tables, TrainingConfig cfg) {
        if (cfg.embeddingUpdates() != EmbeddingUpdates.SPARSE) {
            return Optional.empty();
        }
        return Optional.of(tables.isEmpty() ? "sparse embedding updates asked for, but no trained weight is read "
                + "only through Gather along its first axis: every weight updates densely"
                : "sparse embedding updates: only the rows each batch reads, of " + String.join(", ", tables));
    }

    /**
     * The trained weights whose updates go by rows, by name: with {@link EmbeddingUpdates#SPARSE}, those the graph reads
     * only through Gather along their first axis ({@link GatheredRows#eligible}).
     */
    private static Map<String, Parameter> sparseTables(OnnxBlock block, TrainingConfig cfg) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        if (cfg.embeddingUpdates() == EmbeddingUpdates.SPARSE) {
            Set<String> eligible = GatheredRows.eligible(block.graph());
            block.weightParameters().forEach((name, p) -> {
                if (eligible.contains(name) && p.requiresGradient()) {
                    out.put(name, p);
                }
            });
        }
        return out;
    }

    /** Lazy Adam on the rows of each table that the step's passes read. */
    private static void updateRows(DenormalSafeAdam adam, GatheredRows rows, Map<String, Parameter> tables,
                                   NDManager owner) {
        try (NDManager step = owner.newSubManager()) {
            rows.take(step).forEach((name, read) -> {
                Parameter p = tables.get(name);
                adam.updateRows(p.getId(), p.getArray(), read.rows(), read.gradient());
            });
        }
    }

    static Optimizer optimizer(TrainingConfig cfg) {
        return cfg.optimizer() == TrainingConfig.OptimizerKind.ADAM
                ? new DenormalSafeAdam(cfg.learningRate())
                : Optimizer.sgd().setLearningRateTracker(Tracker.fixed(cfg.learningRate())).optMomentum(0.9f).build();
    }

    private static TrainingConfig.Objective resolve(TrainingConfig.Objective o, Dataset data, Teacher teacher) {
        if (o == TrainingConfig.Objective.AUTO) {
            o = data.labelled() ? TrainingConfig.Objective.CROSS_ENTROPY : TrainingConfig.Objective.MSE;
        }
        if (o == TrainingConfig.Objective.CROSS_ENTROPY && !data.labelled()) {
            throw new IllegalArgumentException("cross-entropy needs labels; the dataset '" + data.name() + "' has none");
        }
        if (o != TrainingConfig.Objective.CROSS_ENTROPY && teacher == null) {
            throw new IllegalArgumentException("distillation (" + o + ") needs the teacher model's outputs");
        }
        return o;
    }

    /** A model whose first output comes straight from a Softmax gives probabilities, not logits. */
    static boolean endsInSoftmax(OnnxGraph graph) {
        String out = graph.outputs().get(0).name();
        for (OnnxNode node : graph.nodes()) {
            if (node.outputs().contains(out)) {
                return node.opType().equals("Softmax");
            }
        }
        return false;
    }

    /**
     * A loss for the progress message, to 4 decimals with a '.'. Not String.format: that parses its pattern with a
     * regex on every call, and once per step it was a visible share of a small model's step time.
     */
    static String fourDecimals(double v) {
        if (!(Math.abs(v) < 1e12)) {
            return String.format(Locale.ROOT, "%.4f", v);
        }
        long scaled = Math.round(Math.abs(v) * 10_000);
        String fraction = Long.toString(scaled % 10_000 + 10_000).substring(1);
        return (v < 0 && scaled != 0 ? "-" : "") + scaled / 10_000 + "." + fraction;
    }

    static void shuffle(int[] a, Random rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
