package io.caas.engine.compress.tied;

import io.caas.engine.compress.CompressedFineTuning;
import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Row/column-space weight tying (Koyun and Töreyin 2024, "Do deep neural networks utilize the weight space
 * efficiently?", arXiv 2401.16438): in each pair of layers d→h→d (see {@link PairFinder} for the patterns found)
 * the second layer's matrix is replaced by the transpose of the first's, so one matrix W (d × h) serves as W and
 * as Wᵀ and the pair's weights halve. W starts from the pair ({@link TiedInit}) and is then fine-tuned as one
 * parameter used twice, through the interpreter with autograd: by cross-entropy with labels, else by distilling
 * the original model's outputs. Biases stay separate. The exported file is the training graph itself: W once,
 * read by the second layer through a Transpose (or Gemm's transB).
 */
public final class TiedMethod implements CompressionMethod {

    public static final String NAME = "tied";

    /**
     * Adam's rate for fine-tuning after tying, measured (TiedBenchmarkTest: a trained 784-128-512-128-10 MLP on
     * Fashion-MNIST, its 128→512→128 block tied, one epoch with labels): 1e-4 reached top-1 0.875, 1e-3 0.861
     * (original 0.868 after 3 epochs; svd at the same parameter count, fine-tuned at 1e-4, 0.883).
     */
    public static final double DEFAULT_LEARNING_RATE = 1e-4;
    /** Chosen: a common small-batch size that fits CPU fine-tuning. */
    public static final int DEFAULT_BATCH_SIZE = 64;
    /** Chosen: one pass over the training data, or maxSteps alone where only that is set. */
    public static final int DEFAULT_EPOCHS = 1;

    private static final MethodDescriptor DESCRIPTOR = new MethodDescriptor(NAME, "Row/column-space weight tying",
            "Finds layer pairs d→h→d (a MatMul, Gemm or 1×1 Conv whose output reaches a layer of the same type "
                    + "mapping back to d through elementwise operations only: Transformer feed-forward blocks, "
                    + "MLP and 1×1-conv bottlenecks) and makes each pair share one matrix W, used as W by the "
                    + "first layer and as Wᵀ by the second, halving the pair's weights (Koyun and Töreyin 2024). "
                    + "W is then fine-tuned on the job's training data: with labels by cross-entropy, without by "
                    + "distilling the original model's outputs (MSE). Budget defaults: Adam 1e-4, batch 64, 1 "
                    + "epoch (or maxSteps alone where only that is set).",
            Set.of(LayerKind.DENSE, LayerKind.CONV), false, TiedParameters.ALL);

    @Override
    public MethodDescriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Dense layers and 1×1 convs, the layers a pair can hold: not a 3×3 conv, which no pair takes. */
    @Override
    public boolean appliesTo(WeightedLayer layer) {
        return PairFinder.shapeTies(layer);
    }

    @Override
    public void validate(Map<String, Object> parameters, ModelSummary model) {
        TiedParameters.parse(parameters, model, null);
    }

    /** The pair search itself: a model with no d→h→d pair (or without the pairs named) is refused here. */
    @Override
    public void check(Map<String, Object> parameters, ModelProto model, ModelSummary summary,
                      boolean hasTrainingData) {
        TiedParameters.parse(parameters, summary, PairFinder.find(model, summary));
    }

    @Override
    public CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException {
        ModelProto original = task.model();
        ModelSummary summary = ModelInspector.inspect(original);
        TiedParameters params = TiedParameters.parse(task.parameters(), summary, PairFinder.find(original, summary));
        Weights weights = Weights.of(original.getGraph());
        List<double[]> tied = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (TiedPair p : params.pairs()) {
            LayerLayout l1 = LayerLayout.of(p.first(), original.getGraph().getNode(p.firstIndex()));
            LayerLayout l2 = LayerLayout.of(p.second(), original.getGraph().getNode(p.secondIndex()));
            double[] m1 = l1.matrix(Tensors.toFloats(weights.get(p.first().weight()).orElseThrow()));
            double[] m2 = l2.matrix(Tensors.toFloats(weights.get(p.second().weight()).orElseThrow()));
            double[] w = TiedInit.tied(params.init(), m1, m2, p.d(), p.h());
            tied.add(w);
            notes.add(String.format(Locale.ROOT, "%s uses W (%d×%d), %s uses Wᵀ; path %s; init %s, relative change "
                            + "of the first layer's weight %.3f, of the second's %.3f", p.first().node(), p.d(),
                    p.h(), p.second().node(), String.join("→", p.path()), params.init().parameterValue(),
                    relativeDistance(w, m1, p.d(), p.h(), false), relativeDistance(w, m2, p.d(), p.h(), true)));
        }
        ModelProto compressed = TiedExport.apply(original, params.pairs(), tied);
        progress.progress(params.fineTune() ? 0.05 : 1.0, params.pairs().size() + " pairs tied: "
                + params.pairs().stream().map(TiedPair::name).toList());

        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        String trainingNote = "";
        if (params.fineTune() && task.trainData().isPresent()) {
            compressed = fineTune(original, compressed, params, task, progress, curves);
            trainingNote = String.format(Locale.ROOT, "; fine-tuned %d steps", curves.get("loss").size());
        } else if (params.fineTune()) {
            trainingNote = "; not fine-tuned: the job has no training data";
        }
        List<LayerReport> reports = new ArrayList<>();
        for (int k = 0; k < params.pairs().size(); k++) {
            TiedPair p = params.pairs().get(k);
            long rank = Math.min(p.d(), p.h());
            reports.add(new LayerReport(p.name(), p.first().opType(), new long[] {p.d(), p.h()}, rank, rank,
                    p.parametersBefore(), p.parametersAfter(), true, notes.get(k) + trainingNote));
        }
        progress.progress(1.0, params.pairs().size() + " pairs tied" + trainingNote);
        return new CompressionResult(compressed, reports, curves);
    }

    /** The pairs tying would apply to, as "first+second" names, in node order. */
    public static List<String> pairsFound(ModelProto model) {
        return PairFinder.find(model).stream().map(TiedPair::name).toList();
    }

    /** ‖W − M‖ / ‖M‖, with M the first layer's matrix (d × h) or the second's (h × d, compared with Wᵀ). */
    private static double relativeDistance(double[] w, double[] m, int d, int h, boolean transposed) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < h; j++) {
                double v = transposed ? m[j * d + i] : m[i * h + j];
                diff += (w[i * h + j] - v) * (w[i * h + j] - v);
                norm += v * v;
            }
        }
        return Math.sqrt(diff / Math.max(norm, Double.MIN_NORMAL));
    }

    private static ModelProto fineTune(ModelProto original, ModelProto tied, TiedParameters params,
                                       CompressionTask task, ProgressListener progress,
                                       Map<String, List<double[]>> curves) throws InterruptedException {
        Set<String> shared = new HashSet<>();
        params.pairs().forEach(p -> shared.add(p.first().weight()));
        CompressedFineTuning plan = CompressedFineTuning.withDefaults(DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE,
                DEFAULT_EPOCHS).progress(0.05, 0.9);
        return (params.trainOnlyTied() ? plan.trainingOnly(shared) : plan).run(original, tied, task, progress, curves);
    }
}
