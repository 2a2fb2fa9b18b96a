package io.caas.engine.compress.ldr;

import io.caas.engine.compress.CompressedFineTuning;
import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerMatrix;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Structured transforms of low displacement rank (Sindhwani, Sainath, Kumar 2015, arXiv 1510.01722). Each eligible
 * Gemm/MatMul weight is cut into square n×n blocks (n the shorter side, the longer one zero-padded), and each block
 * becomes a Toeplitz-like matrix Σᵢ Z₁(gᵢ)·Z₋₁(hᵢ) of displacement rank r (2·r·n parameters instead of n²) or a
 * circulant matrix (n parameters). The generators are fitted to the trained weight in closed form
 * ({@link GeneratorFit}); where the job has training data they are then fitted layer by layer to what the original
 * layers output on that data ({@link SequentialOutputFit}), and fine-tuned through the interpreter on the exported
 * graph itself, so only the generators (with the biases and layers left dense) are parameters.
 *
 * <p>The file holds only generators ({@link StructuredExport}). Each product is computed either with FFTs through
 * ONNX DFT nodes ({@link FourierProduct}, O(r·n log n) per sample and block) or from the dense weight rebuilt inside
 * the graph: training takes whichever the interpreter runs faster for the block size, the file the form the job
 * asks for (the rebuilt weight by default, which ONNX Runtime folds once per session and runs far faster than its
 * DFT).
 */
public final class LdrMethod implements CompressionMethod {

    public static final String NAME = "ldr";

    /**
     * Chosen: the paper reports Toeplitz-like transforms of small displacement rank (1 to a few) holding accuracy
     * on its speech and image tasks; 2 is the smallest rank that contains every Toeplitz matrix.
     */
    public static final int DEFAULT_RANK = 2;
    /** Chosen, not tuned (see {@link #DEFAULT_LEARNING_RATE_NOTE}). */
    public static final double DEFAULT_LEARNING_RATE = 1e-3;
    static final String DEFAULT_LEARNING_RATE_NOTE = "Adam 1e-3, the usual rate for training from scratch: the "
            + "fitted generators start far from the trained weight (relative error 0.99 on a trained Fashion-MNIST "
            + "MLP, accuracy at chance), unlike svd's factors, whose 1e-4 suits a model already near its optimum";
    /** Chosen: one pass over the training data, unless the budget sets maxSteps alone. */
    public static final int DEFAULT_EPOCHS = 1;
    /** Chosen: a common small-batch size that fits CPU fine-tuning. */
    public static final int DEFAULT_BATCH_SIZE = 64;
    /**
     * Measured on the comparison CNN (BENCHMARKS.md, LDR section): 100 steps per layer left the three layers'
     * output errors at 0.61, 0.75, 0.58, 300 at 0.47, 0.68, 0.48; they keep falling, slowly. 300 bounds the fit's
     * cost where the budget sets no step count (with one, the fit takes at most half of it).
     */
    public static final int DEFAULT_FIT_STEPS = 300;
    /** Chosen: enough samples that a layer's structured weight (a few thousand numbers) is far from overfitting. */
    static final int FIT_SAMPLES = 1024;
    /**
     * Measured on the comparison CNN, 100 steps per layer, accuracy without fine-tuning: 3e-3 0.39, 1e-2 0.56,
     * 3e-2 0.24. Cosine-decayed to 1 % over the steps.
     */
    static final double FIT_LEARNING_RATE = 1e-2;

    private static final MethodDescriptor DESCRIPTOR = new MethodDescriptor(NAME,
            "Low displacement rank structured transforms",
            "Replaces Gemm/MatMul weights by Toeplitz-like matrices of low displacement rank (or circulant ones), "
                    + "block by block, so a layer keeps 2·r·n numbers per n×n block instead of n² "
                    + "(Sindhwani, Sainath, Kumar 2015). The generators are fitted to the trained weight in closed "
                    + "form; with training data they are then fitted layer by layer to the original layers' "
                    + "outputs on it (fit: data) and fine-tuned: by cross-entropy with labels, else by distilling "
                    + "the original model's outputs (MSE). Budget defaults: Adam 1e-3, batch 64, 1 epoch (or "
                    + "maxSteps alone where only that is set); the data fit's steps count against maxSteps.",
            Set.of(LayerKind.DENSE), false, LdrParameters.ALL);

    @Override
    public MethodDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Set<String> sizeParameters() {
        return Set.of(LdrParameters.RANK.name(), LdrParameters.STRUCTURE.name(), LdrParameters.TARGET_PARAMETERS.name());
    }

    @Override
    public void validate(Map<String, Object> parameters, ModelSummary model) {
        LdrParameters.parse(parameters, model);
    }

    /** What the run would refuse before fitting anything, found without fitting. */
    @Override
    public void check(Map<String, Object> parameters, ModelProto model, ModelSummary summary,
                      boolean hasTrainingData) {
        plan(LdrParameters.parse(parameters, summary), model, summary, hasTrainingData);
    }

    /** The parameters a run goes on with (a target's displacement rank chosen) and the note that says so. */
    private record Plan(LdrParameters params, String budgetNote) {
    }

    /**
     * Refuses a data fit without training data, a target below rank 1 everywhere, and a run that would leave every
     * layer dense; otherwise chooses the rank a target asks for.
     */
    private static Plan plan(LdrParameters requested, ModelProto original, ModelSummary summary,
                             boolean hasTrainingData) {
        if (requested.fit() == LdrParameters.Fit.DATA && !hasTrainingData) {
            throw new InvalidParametersException(List.of(LdrParameters.FIT.name() + ": data needs a training dataset"));
        }
        Weights weights = Weights.of(original.getGraph());
        List<WeightedLayer> dense = summary.layers().stream().filter(l -> l.kind() == LayerKind.DENSE).toList();
        Map<WeightedLayer, Integer> nodeIndex = LowRankLayers.nodeIndices(original, dense);
        String last = summary.layers().isEmpty() ? null : summary.layers().get(summary.layers().size() - 1).node();
        LdrParameters params = requested;
        String budgetNote = "";
        if (params.targetParameters() > 0) {
            // candidates: the layers ldr would structure at rank 1 (a layer that does not shrink there never does)
            LdrParameters atOne = params.withRank(1);
            LdrBudget budget = LdrBudget.of(summary, l -> skipReason(l, original.getGraph()
                    .getNode(nodeIndex.get(l)), atOne, last, weights, original.getGraph()) == null);
            int rank = budget.largestRankWithin(params.targetParameters());
            if (rank == 0) {
                throw new InvalidParametersException(List.of(budget.unreachable(params.targetParameters())));
            }
            params = params.withRank(rank);
            budgetNote = String.format(Locale.ROOT, " (chosen for targetParameters %d: %d parameters at this rank, "
                    + "%d at the next)", params.targetParameters(), budget.at(rank), budget.at(rank + 1));
        }
        Map<String, String> skipped = new LinkedHashMap<>();
        for (WeightedLayer layer : dense) {
            String skip = skipReason(layer, original.getGraph().getNode(nodeIndex.get(layer)), params, last, weights,
                    original.getGraph());
            if (skip == null) {
                return new Plan(params, budgetNote);
            }
            skipped.put(layer.node(), skip);
        }
        throw new InvalidParametersException(List.of("no layer is left for ldr to replace: " + skipped.entrySet()
                .stream().map(e -> e.getKey() + " (" + e.getValue() + ")").toList()));
    }

    @Override
    public CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException {
        ModelProto original = task.model();
        ModelSummary summary = ModelInspector.inspect(original);
        Plan plan = plan(LdrParameters.parse(task.parameters(), summary), original, summary,
                task.trainData().isPresent());
        LdrParameters params = plan.params();
        String budgetNote = plan.budgetNote();
        Weights weights = Weights.of(original.getGraph());
        List<WeightedLayer> dense = summary.layers().stream().filter(l -> l.kind() == LayerKind.DENSE).toList();
        Map<WeightedLayer, Integer> nodeIndex = LowRankLayers.nodeIndices(original, dense);
        String last = summary.layers().isEmpty() ? null : summary.layers().get(summary.layers().size() - 1).node();

        Map<String, LayerReport> reports = new LinkedHashMap<>();
        List<StructuredExport.Layer> replaced = new ArrayList<>();
        for (int li = 0; li < dense.size(); li++) {
            if (Thread.interrupted()) {
                throw new InterruptedException("ldr cancelled while fitting generators");
            }
            WeightedLayer layer = dense.get(li);
            long[] shape = layer.matrixShape();
            long full = Math.min(shape[0], shape[1]);
            NodeProto node = original.getGraph().getNode(nodeIndex.get(layer));
            String skip = skipReason(layer, node, params, last, weights, original.getGraph());
            if (skip != null) {
                reports.put(layer.node(), new LayerReport(layer.node(), layer.opType(), shape, full, full,
                        layer.parameters(), layer.parameters(), false, skip));
                continue;
            }
            DenseLayer d = DenseLayer.of(layer, nodeIndex.get(layer), node, weights.get(layer.weight()).orElseThrow());
            BlockLayout layout = BlockLayout.of(d.in(), d.out());
            StructuredExport.Layer fitted = GeneratorFit.layer(d, params.structure(), params.rank());
            replaced.add(fitted);
            long after = layout.parameters(params.structure(), params.rank());
            String note = String.format(Locale.ROOT, "%s, displacement rank %d%s, %s; closed-form fit relative "
                            + "error %.3f", params.structure().wireName(), params.rank(), budgetNote, layout.describe(),
                    GeneratorFit.relativeError(layout, d.matrix(), fitted.blocks()));
            reports.put(layer.node(), new LayerReport(layer.node(), layer.opType(), shape, full, params.rank(),
                    layer.parameters(), after, true, note));
            progress.progress(0.2 * (li + 1) / dense.size(), "fitted generators of " + layer.node());
        }

        Product product = params.product() != null ? params.product() : LdrParameters.DEFAULT_PRODUCT;
        ModelProto base = original;
        CompressionTask tuning = task;
        if (fitsToData(params, task)) {
            FitBudget split = FitBudget.split(params.fitSteps(), replaced.size(), task.budget());
            tuning = task.withBudget(split.fineTuning());
            SequentialOutputFit.Outcome fitted = new SequentialOutputFit(FIT_SAMPLES, split.stepsPerLayer(),
                    FIT_LEARNING_RATE).run(original, replaced, task.trainData().orElseThrow(), progress, 0.2, 0.2);
            base = fitted.model();
            replaced = fitted.layers();
            fitted.notes().forEach((node, note) -> reports.computeIfPresent(node, (k, r) -> new LayerReport(
                    r.node(), r.opType(), r.matrixShape(), r.originalRank(), r.finalRank(), r.parametersBefore(),
                    r.parametersAfter(), r.factorized(), r.note() + "; data fit: " + note)));
        }
        StructuredExport export = new StructuredExport(base, product);
        ModelProto structured = export.apply(replaced);
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        Map<Integer, Product> trainedIn = Map.of();
        if (params.fineTune() && task.trainData().isPresent()) {
            StructuredExport training = new StructuredExport(base, StructuredExport::fastestToTrain);
            ModelProto trained = fineTune(original, training.apply(replaced), tuning, progress, curves);
            trainedIn = training.products();
            structured = trainedIn.equals(export.products()) ? trained : export.reformed(trained, replaced);
        }
        for (StructuredExport.Layer layer : replaced) {
            int index = layer.dense().nodeIndex();
            String how = (export.products().get(index) == Product.FOURIER ? "exported with FFTs (ONNX DFT)"
                    : "exported with the weight rebuilt in the graph")
                    + (trainedIn.get(index) == Product.FOURIER ? ", trained with FFTs" : "");
            reports.computeIfPresent(layer.dense().layer().node(), (k, r) -> new LayerReport(r.node(), r.opType(),
                    r.matrixShape(), r.originalRank(), r.finalRank(), r.parametersBefore(), r.parametersAfter(),
                    r.factorized(), r.note() + "; " + how));
        }
        progress.progress(1, String.format(Locale.ROOT, "%d layers structured", replaced.size()));
        return new CompressionResult(structured, List.copyOf(reports.values()), curves);
    }

    private static boolean fitsToData(LdrParameters params, CompressionTask task) {
        if (params.fit() == LdrParameters.Fit.DATA && task.trainData().isEmpty()) {
            throw new InvalidParametersException(List.of(LdrParameters.FIT.name() + ": data needs a training dataset"));
        }
        return params.fit() == null ? task.trainData().isPresent() : params.fit() == LdrParameters.Fit.DATA;
    }

    private static String skipReason(WeightedLayer layer, NodeProto node, LdrParameters params, String last,
                                     Weights weights, GraphProto graph) {
        if (!params.layers().isEmpty()) {
            if (!params.layers().contains(layer.node())) {
                return "not among the requested layers";
            }
        } else if (params.skipFirstAndLast() && layer.node().equals(last)) {
            return "last layer, kept dense (skipFirstAndLast)";
        }
        if (weights.get(layer.weight()).map(TensorProto::getDataType).orElse(-1) != TensorProto.DataType.FLOAT_VALUE) {
            return "weight is not float32";
        }
        if (DenseLayer.transposesInput(node)) {
            return "Gemm with transA, left dense";
        }
        long[] shape = layer.matrixShape();
        if (Math.min(shape[0], shape[1]) < 2) {
            return "a side of 1 has no structure to exploit";
        }
        long users = graph.getNodeList().stream().filter(n -> n.getInputList().contains(layer.weight())).count();
        if (users > 1) {
            return "weight shared by " + users + " nodes";
        }
        int[] sides = LayerMatrix.sides(layer, node);
        BlockLayout layout = BlockLayout.of(sides[0], sides[1]);
        long after = layout.parameters(params.structure(), params.rank());
        if (after >= layer.parameters()) {
            return String.format(Locale.ROOT, "would not shrink: %s at displacement rank %d hold %d numbers, the "
                    + "dense weight %d", layout.describe(), params.rank(), after, layer.parameters());
        }
        return null;
    }

    /**
     * Trains the structured model as exported (generators, biases, dense layers), by label or by distilling the
     * original; the loss goes to the "loss" curve.
     */
    private static ModelProto fineTune(ModelProto original, ModelProto structured, CompressionTask task,
                                       ProgressListener progress, Map<String, List<double[]>> curves)
            throws InterruptedException {
        return CompressedFineTuning.withDefaults(DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE, DEFAULT_EPOCHS)
                .progress(0.4, 0.59).run(original, structured, task, progress, curves);
    }
}
