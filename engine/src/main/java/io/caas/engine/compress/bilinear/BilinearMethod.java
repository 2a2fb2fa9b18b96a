package io.caas.engine.compress.bilinear;

import io.caas.engine.compress.CompressedFineTuning;
import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.RatioBudget;
import io.caas.engine.compress.hadamard.CpDecomposition;
import io.caas.engine.compress.hadamard.FittedTensor;
import io.caas.engine.compress.hadamard.HadamardExport;
import io.caas.engine.compress.hadamard.HadamardTruncation;
import io.caas.engine.onnx.BilinearForm;
import io.caas.engine.onnx.BilinearLayers;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Low-rank bilinear pooling with the Hadamard product (Kim et al. 2017, arXiv 1610.04325): a bilinear layer
 * z_k = xᵀ·W_k·y + b_k, whose weight holds out·in_x·in_y values, becomes z = Pᵀ(Uᵀx ∘ Vᵀy) + b with a joint
 * dimension d, d·(in_x + in_y + out) values. U, V and P are fitted to the trained W as its rank-d CP
 * decomposition (alternating least squares, {@link CpDecomposition}), then, with training data, every weight of
 * the factorized model is fine-tuned (cross-entropy with labels, distillation of the original's outputs without).
 * The paper trains the low-rank form from scratch; fitting it to a trained W first is what makes this a
 * compression of a given model.
 */
public final class BilinearMethod implements CompressionMethod {

    public static final String NAME = "bilinear";

    /**
     * Chosen: keep a tenth of each bilinear weight's parameters. Kim et al. pick d from 1,200 joint dimensions
     * for 2,400-dimensional inputs (a far larger cut of the full bilinear form, trained from scratch); a tenth keeps
     * enough rank to recover a trained layer by fine-tuning (measured on the Fashion-MNIST fusion model, see
     * BENCHMARKS.md).
     */
    public static final double DEFAULT_RATIO = 0.1;
    public static final int DEFAULT_SWEEPS = HadamardTruncation.SWEEPS;
    /** Chosen: Adam at the usual 1e-3; the factors start from a fit, not from a trained optimum. */
    public static final double DEFAULT_LEARNING_RATE = 1e-3;
    /** Chosen: a common small-batch size that fits CPU fine-tuning. */
    public static final int DEFAULT_BATCH_SIZE = 64;
    /** Chosen: one pass over the training data (or maxSteps alone where only that is set). */
    public static final int DEFAULT_EPOCHS = 1;

    private static final long SEED = 29;

    private static final MethodDescriptor DESCRIPTOR = new MethodDescriptor(NAME, "Low-rank bilinear (Hadamard)",
            "Replaces each bilinear layer z_k = xᵀW_k y + b_k by z = Pᵀ(Uᵀx ∘ Vᵀy) + b with joint dimension d "
                    + "(Kim et al. 2017). Recognised forms: an Einsum of two activations and a 3-D weight (\"bi,kij,"
                    + "bj->bk\" as nn.Bilinear writes it, any letters and operand order), and the MatMul patterns "
                    + "PyTorch exports without einsum: t = MatMul(x, W) with W stored [i, k·j] (or [k, i, j] through "
                    + "Transpose/Reshape), or Gemm(x, W, c) as nn.Linear(i, k·j) exports (with a bias c the layer "
                    + "gains Σ_j c[k,j]·y_j, kept exactly as a bias of x·U), Reshape to [N, k, j] (constant or "
                    + "run-time target), then Unsqueeze(y) with Mul and ReduceSum, or with MatMul and Squeeze (x and "
                    + "y may be the same tensor); and W stored [k, i, j] in a broadcasting MatMul(x[:, None, None, "
                    + ":], W), squeezed and contracted with y the same ways or by a second MatMul with y[:, None, :, "
                    + "None] and two Squeezes. U, V, P are fitted to W as "
                    + "its rank-d CP decomposition by alternating least squares, then, given training data, the "
                    + "model is fine-tuned (cross-entropy with labels, distillation of the original without) within "
                    + "the job's training budget (defaults: Adam 1e-3, batch 64, 1 epoch). The export holds "
                    + "MatMul(x,U) (Gemm(x,U,u₀) with a projection bias), MatMul(y,V), Mul, MatMul(·,P) in place of "
                    + "the layer's nodes: no dense W.",
            Set.of(LayerKind.BILINEAR), false, BilinearParameters.ALL);

    @Override
    public MethodDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public void validate(Map<String, Object> parameters, ModelSummary model) {
        BilinearParameters params = BilinearParameters.parse(parameters, model);
        if (params.targetParameters().isPresent()) {
            // float32 and shared weights need the graph; the floor counts every other requested layer
            List<WeightedLayer> chosen = bilinearLayers(model).stream()
                    .filter(l -> params.layers().isEmpty() || params.layers().contains(l.node())).toList();
            budget(model, chosen).requireReachable(params.targetParameters().getAsLong());
        }
    }

    /** As {@link #validate}, with the target's floor counted over the layers the run would factorize. */
    @Override
    public void check(Map<String, Object> parameters, ModelProto model, ModelSummary summary,
                      boolean hasTrainingData) {
        BilinearParameters params = BilinearParameters.parse(parameters, summary);
        if (params.targetParameters().isPresent()) {
            Weights weights = Weights.of(model.getGraph());
            List<WeightedLayer> chosen = bilinearLayers(summary).stream()
                    .filter(l -> skipReason(l, params, weights, model.getGraph()) == null).toList();
            budget(summary, chosen).requireReachable(params.targetParameters().getAsLong());
        }
    }

    @Override
    public Set<String> sizeParameters() {
        return BilinearParameters.SIZE_PARAMETERS;
    }

    private static List<WeightedLayer> bilinearLayers(ModelSummary model) {
        return model.layers().stream().filter(l -> l.kind() == LayerKind.BILINEAR).toList();
    }

    /**
     * The whole model's size at one ratio for every chosen layer, counted from the weights' shapes as
     * {@link FittedTensor} will hold them: a Gemm projection's bias (k·j values beyond W's) is one more first-side
     * row, so each rank costs one more value there.
     */
    private static RatioBudget budget(ModelSummary model, List<WeightedLayer> chosen) {
        long untouched = model.parameters() - chosen.stream().mapToLong(WeightedLayer::parameters).sum();
        return new RatioBudget(NAME, untouched, chosen.stream().map(l -> {
            long[] s = l.matrixShape();
            long firstRows = s[1] + (l.parameters() > s[0] * s[1] * s[2] ? 1 : 0);
            int exact = CpDecomposition.exactRank((int) s[0], (int) firstRows, (int) s[2]);
            return new RatioBudget.Layer(l.parameters(), ratio ->
                    Math.min(BilinearParameters.rankForRatio(ratio, s[0], s[1], s[2]), exact)
                            * (s[0] + firstRows + s[2]));
        }).toList());
    }

    @Override
    public CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException {
        ModelProto model = task.model();
        ModelSummary summary = ModelInspector.inspect(model);
        BilinearParameters requested = BilinearParameters.parse(task.parameters(), summary);
        GraphProto graph = model.getGraph();
        Weights weights = Weights.of(graph);
        List<WeightedLayer> layers = bilinearLayers(summary);
        BilinearParameters params = requested;
        String budgetNote = "";
        if (requested.targetParameters().isPresent()) {
            long targetParameters = requested.targetParameters().getAsLong();
            List<WeightedLayer> chosen = layers.stream()
                    .filter(l -> skipReason(l, requested, weights, graph) == null).toList();
            double ratio = budget(summary, chosen).largestRatioWithin(targetParameters);
            params = requested.withRatio(ratio);
            budgetNote = String.format(Locale.ROOT, "; ratio %.4g, the largest common ratio within "
                    + "targetParameters %d", ratio, targetParameters);
        }
        boolean tune = params.fineTune() && task.trainData().isPresent();
        double fitShare = tune ? 0.2 : 1.0;

        List<LayerReport> reports = new ArrayList<>();
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        List<HadamardExport.Replacement> replacements = new ArrayList<>();
        int done = 0;
        for (Map.Entry<Integer, BilinearForm> found : BilinearLayers.byNode(graph).entrySet()) {
            String name = ModelInspector.nodeName(graph.getNode(found.getKey()), found.getKey());
            WeightedLayer layer = layers.stream().filter(l -> l.node().equals(name)).findFirst().orElse(null);
            if (layer == null) {
                continue;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException("bilinear cancelled");
            }
            BilinearForm form = found.getValue();
            long[] shape = layer.matrixShape();
            FittedTensor tensor = FittedTensor.of(form, weights);
            int exact = tensor.exactRank();
            String skip = skipReason(layer, params, weights, graph);
            int rank = Math.min(params.rankFor(form.out(), form.inFirst(), form.inSecond()), exact);
            long after = tensor.parametersAt(rank);
            if (skip == null && after >= layer.parameters()) {
                skip = "left dense: rank " + rank + budgetNote + " would not shrink it (" + after + " ≥ "
                        + layer.parameters() + " parameters)";
            }
            if (skip != null) {
                reports.add(new LayerReport(layer.node(), layer.opType(), shape, exact, exact, layer.parameters(),
                        layer.parameters(), false, skip));
                continue;
            }
            CpDecomposition.Factors f = tensor.fit(rank, params.sweeps(), SEED);
            replacements.add(HadamardExport.Replacement.fitted(layer.node(), form, f));
            String how = String.format(Locale.ROOT, "rank %d of %d: CP fit by %d ALS sweeps, relative error %.4f",
                    rank, exact, f.sweeps(), f.relativeError()) + budgetNote;
            reports.add(new LayerReport(layer.node(), layer.opType(), shape, exact, rank, layer.parameters(), after,
                    true, how));
            curves.put("fitError:" + layer.node(), List.of(new double[] {rank, f.relativeError()}));
            progress.metric("rank:" + layer.node(), done, rank);
            progress.metric("fitError:" + layer.node(), done, f.relativeError());
            done++;
            progress.progress(fitShare * done / layers.size(), "fitted " + layer.node() + ": " + how);
        }
        ModelProto compressed = HadamardExport.apply(model, replacements);
        if (params.fineTune() && !replacements.isEmpty()) {
            if (tune) {
                compressed = fineTune(model, compressed, task, progress, curves, fitShare);
            } else {
                progress.progress(1.0, "fineTune is set but the job has no training data: not fine-tuned");
            }
        }
        progress.progress(1.0, replacements.size() + " bilinear layers factorized"
                + (curves.containsKey("loss") ? " and fine-tuned" : ""));
        return new CompressionResult(compressed, reports, curves);
    }

    private static String skipReason(WeightedLayer layer, BilinearParameters params, Weights weights,
                                     GraphProto graph) {
        if (!params.layers().isEmpty() && !params.layers().contains(layer.node())) {
            return "not among the requested layers";
        }
        return HadamardTruncation.unfitReason(layer, weights, graph);
    }

    /**
     * Trains every weight of the factorized model (U, V, P and all other layers), by label or by distilling the
     * original; the loss goes to the "loss" curve.
     */
    private static ModelProto fineTune(ModelProto original, ModelProto factorized, CompressionTask task,
                                       ProgressListener progress, Map<String, List<double[]>> curves, double from)
            throws InterruptedException {
        return CompressedFineTuning.withDefaults(DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE, DEFAULT_EPOCHS)
                .seed(SEED).progress(from, 1 - from).run(original, factorized, task, progress, curves);
    }
}
