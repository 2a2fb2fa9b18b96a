package io.caas.engine.compress.svd;

import io.caas.engine.compress.CompressedFineTuning;
import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerSelection;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.MethodParameter;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.RankBudget;
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
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Truncated SVD: each eligible weight matrix W (m × n) is replaced by two factors of rank r, which is smaller
 * whenever r·(m + n) < m·n. No training data is needed; accuracy is whatever the truncation leaves.
 */
public final class TruncatedSvdMethod implements CompressionMethod {

    public static final String NAME = "svd";

    private static final String KEPT_DENSE = "kept dense";

    /**
     * Kept energy Σ_{i≤r}σ_i² / Σσ_i² by default. Truncation leaves a relative Frobenius error of √(1 − energy)
     * per layer (22 % at 0.95). Trained weights have flat spectra, so a higher default does nothing: on
     * openWakeWord alexa, PaddleOCR cls and the openWakeWord embedding net, 0.99 leaves every layer dense because
     * the kept rank is over m·n/(m+n). 0.95 shrinks some layers (alexa's 1536→128 layer to rank 107) with an
     * output cosine ≥ 0.99 against the original on random inputs; 0.9 shrinks more but flips PaddleOCR cls's
     * class on 22 % of random inputs (11 % at 0.95). More compression: lower it or use ratio, then fine-tune.
     */
    public static final double DEFAULT_ENERGY = 0.95;

    private static final MethodDescriptor DESCRIPTOR = new MethodDescriptor(NAME, "Truncated SVD",
            "Factorizes Gemm/MatMul weights into two thinner layers and Conv kernels into r filters followed by a "
                    + "1x1 convolution, keeping the largest singular values. No training data needed.",
            Set.of(LayerKind.DENSE, LayerKind.CONV), false, List.of(
            new MethodParameter(SvdParameters.ENERGY, "number", DEFAULT_ENERGY, 0.0, 1.0,
                    "Keep the smallest rank whose singular values hold this fraction of the squared Frobenius "
                            + "norm (exclusive lower bound 0). Used unless ratio or rank is given.",
                    "Eckart-Young: the discarded energy is the squared relative weight error"),
            new MethodParameter(SvdParameters.RATIO, "number", null, 0.0, 1.0,
                    "Instead of energy: fraction of each layer's parameters to keep; rank = ratio·m·n/(m+n).", null),
            new MethodParameter(SvdParameters.RANK, "integer", null, 1, null,
                    "Instead of energy: the same rank for every layer (capped at the layer's full rank).", null),
            new MethodParameter(SvdParameters.TARGET_PARAMETERS, "integer", null, 1, null,
                    "Instead of energy: the whole model's parameter count to reach. The ranks share one relative "
                            + "cut-off (σᵢ ≥ τ·σ₁ in every layer) with τ the lowest that fits; layers svd leaves "
                            + "alone count as they are. A job's target.compressionRatio sets this when no rank "
                            + "rule is given.",
                    "the relative cut-off of OIALR (Coquelin et al. 2024), with τ found from the budget"),
            new MethodParameter(SvdParameters.LAYERS, "string[]", null, null, null,
                    "Factorize only these layers (node names from the model summary).", null),
            new MethodParameter(SvdParameters.SKIP_FIRST_AND_LAST, "boolean", true, null, null,
                    "Leave the first convolution and the last weighted layer (the classifier) dense: they hold "
                            + "few parameters and their error reaches the output undamped.",
                    "common practice in low-rank CNN compression (Denton et al. 2014, Zhang et al. 2015)"),
            new MethodParameter(SvdParameters.ONLY_IF_SMALLER, "boolean", true, null, null,
                    "Leave a layer dense where r·(m+n) ≥ m·n, since factorizing it would not shrink it.", null),
            new MethodParameter(SvdParameters.FINE_TUNE, "boolean", false, null, null,
                    "After factorizing, fine-tune the whole factorized model (every factor, bias and dense layer) "
                            + "on the job's training data within its training budget: by cross-entropy with labels, "
                            + "else by distilling the original model's outputs (MSE). Budget defaults: Adam 1e-4, "
                            + "batch 64, 1 epoch (or maxSteps alone where only that is set). Ignored without "
                            + "training data. The exported structure is the same as without it.",
                    "learning rate 1e-4 measured on Fashion-MNIST (1e-3 lost accuracy); fine-tuning after "
                            + "truncation as in Denton et al. 2014")));

    /**
     * Adam's rate for fine-tuning the factors, measured (OialrBenchmarkTest: a trained 784-512-256-10 MLP on
     * Fashion-MNIST, svd keeping 55 % of the parameters, 2 epochs): 1e-3 lowered top-1 from the truncated model's
     * 0.870 to 0.858, 1e-4 raised it to 0.889. The factorized model starts close to a trained optimum, which
     * Adam's early, sign-like steps at 1e-3 knock it away from.
     */
    public static final double DEFAULT_FINE_TUNE_LEARNING_RATE = 1e-4;
    /** Chosen. */
    public static final int DEFAULT_FINE_TUNE_BATCH_SIZE = 64;

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
        requireReachable(SvdParameters.parse(parameters, summary), summary, layer -> isFloat(weights, layer));
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
        List<WeightedLayer> layers = model.layers().stream().filter(TruncatedSvdMethod::factorizable).toList();
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
    public Set<String> sizeParameters() {
        return SvdParameters.SIZE_RULES;
    }

    /** Layers svd can rewrite: the inspector's DENSE and CONV layers (2-D or ungrouped 4-D float weights). */
    public static boolean factorizable(WeightedLayer layer) {
        return layer.kind() == LayerKind.DENSE || layer.kind() == LayerKind.CONV;
    }

    @Override
    public CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException {
        ModelProto model = task.model();
        ModelSummary summary = ModelInspector.inspect(model);
        SvdParameters params = SvdParameters.parse(task.parameters(), summary);
        Weights weights = Weights.of(model.getGraph());
        List<WeightedLayer> layers = summary.layers().stream().filter(TruncatedSvdMethod::factorizable).toList();
        Map<WeightedLayer, Integer> nodeIndex = nodeIndices(model, layers);
        LayerSelection selection = LayerSelection.of(layers, params.layers(), params.skipFirstAndLast());

        double share = params.fineTune() && task.trainData().isPresent() ? 0.5 : 1.0;
        LayerReport[] skipped = new LayerReport[layers.size()];
        List<Integer> chosen = new ArrayList<>();
        int[] factorOf = new int[layers.size()]; // the layer's place in factors, or -1 where it is skipped
        List<LayerFactors> factors = new ArrayList<>();
        for (int li = 0; li < layers.size(); li++) {
            if (Thread.interrupted()) {
                throw new InterruptedException("svd cancelled");
            }
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
            factors.add(LayerFactors.of(layer, model.getGraph().getNode(nodeIndex.get(layer)),
                    weights.get(layer.weight()).orElseThrow()));
            progress.progress(share * (li + 1.0) / (layers.size() + 1), "decomposed " + (li + 1) + " of "
                    + layers.size() + " layers");
        }
        int[] ranks = params.rule() == SvdParameters.RankRule.TARGET_PARAMETERS
                ? budgetRanks(summary, chosen.stream().map(layers::get).toList(), factors, (long) params.value())
                : factors.stream().mapToInt(f -> chooseRank(f.svd(), params, f.rows(), f.cols())).toArray();

        List<LayerReport> reports = new ArrayList<>();
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        List<FactorizedExport.Replacement> replacements = new ArrayList<>();
        for (int li = 0; li < layers.size(); li++) {
            int c = factorOf[li];
            if (c < 0) {
                reports.add(skipped[li]);
                continue;
            }
            WeightedLayer layer = layers.get(li);
            LayerFactors f = factors.get(c);
            long full = f.svd().fullRank();
            int rank = ranks[c];
            long after = (long) rank * (f.rows() + f.cols());
            String how = describe(params, f.svd(), rank);
            // a budget counts a layer that would not shrink as dense, so it is left dense whatever onlyIfSmaller says
            boolean leaveDense = (params.onlyIfSmaller() || params.rule() == SvdParameters.RankRule.TARGET_PARAMETERS)
                    && after >= layer.parameters();
            if (leaveDense) {
                reports.add(new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), full, full,
                        layer.parameters(), layer.parameters(), false, "left dense: " + how + " would not shrink it ("
                        + after + " ≥ " + layer.parameters() + " parameters)"));
            } else {
                replacements.add(f.replacement(nodeIndex.get(layer), layer.node(), rank));
                curves.put("energy:" + layer.node(), energyCurve(f.svd()));
                reports.add(new LayerReport(layer.node(), layer.opType(), layer.matrixShape(), full, rank,
                        layer.parameters(), after, true, how));
                progress.metric("rank:" + layer.node(), li, rank);
            }
        }
        ModelProto compressed = new FactorizedExport(model).apply(replacements);
        if (params.fineTune() && !replacements.isEmpty()) {
            if (task.trainData().isPresent()) {
                compressed = fineTune(model, compressed, task, progress, curves);
            } else {
                progress.progress(1.0, "fineTune is set but the job has no training data: not fine-tuned");
            }
        }
        progress.progress(1.0, replacements.size() + " layers factorized"
                + (curves.containsKey("loss") ? " and fine-tuned" : ""));
        return new CompressionResult(compressed, reports, curves);
    }

    /**
     * Trains every weight of the factorized model (the structure stays as exported), by label or by distilling the
     * original. Progress continues from where factorizing left it; the loss goes to the "loss" curve.
     */
    private static ModelProto fineTune(ModelProto original, ModelProto factorized, CompressionTask task,
                                       ProgressListener progress, Map<String, List<double[]>> curves)
            throws InterruptedException {
        return CompressedFineTuning.withDefaults(DEFAULT_FINE_TUNE_BATCH_SIZE, DEFAULT_FINE_TUNE_LEARNING_RATE, 1)
                .progress(0.5, 0.5).run(original, factorized, task, progress, curves);
    }

    /**
     * Node index of each layer. Layers come in node order, so one forward walk pairs them even where exporters
     * gave two nodes the same name.
     */
    public static Map<WeightedLayer, Integer> nodeIndices(ModelProto model, List<WeightedLayer> layers) {
        Map<WeightedLayer, Integer> indices = new IdentityHashMap<>();
        int cursor = 0;
        for (WeightedLayer layer : layers) {
            while (true) {
                NodeProto node = model.getGraph().getNode(cursor);
                if (ModelInspector.nodeName(node, cursor).equals(layer.node()) && node.getInputCount() > 1
                        && node.getInput(1).equals(layer.weight())) {
                    indices.put(layer, cursor++);
                    break;
                }
                cursor++;
            }
        }
        return indices;
    }

    /** Cumulative kept energy against rank: tells a user which energy setting gives which rank. */
    private static List<double[]> energyCurve(LowRank svd) {
        List<double[]> curve = new ArrayList<>();
        for (int r = 1; r <= svd.fullRank(); r++) {
            curve.add(new double[] {r, svd.energyAt(r)});
        }
        return curve;
    }

    /**
     * Ranks that bring the whole model to {@code target} parameters (see {@link RankBudget}): what the layers left
     * alone hold is fixed, the rest is shared out among the factorized layers.
     */
    private static int[] budgetRanks(ModelSummary summary, List<WeightedLayer> layers, List<LayerFactors> factors,
                                     long target) {
        List<RankBudget.Layer> budgetLayers = new ArrayList<>();
        for (LayerFactors f : factors) {
            budgetLayers.add(new RankBudget.Layer(f.svd().singularValues(), f.rows(), f.cols(), f.svd().fullRank()));
        }
        long fixed = summary.parameters() - layers.stream().mapToLong(WeightedLayer::parameters).sum();
        long floor = fixed + RankBudget.floor(budgetLayers, 1);
        if (target < floor) {
            throw new InvalidParametersException(List.of(unreachable(target, floor, fixed)));
        }
        return RankBudget.allocate(budgetLayers, target - fixed, 1);
    }

    static String unreachable(long target, long floor, long fixed) {
        return "targetParameters " + target + " is below the smallest model svd can make here: " + floor
                + " parameters at rank 1 in every factorized layer, " + fixed + " of them in what it leaves alone "
                + "(biases, skipped layers, other weights)";
    }

    static int chooseRank(LowRank svd, SvdParameters params, int rows, int cols) {
        int full = svd.fullRank();
        int rank = switch (params.rule()) {
            case ENERGY -> svd.rankForEnergy(params.value());
            case RATIO -> (int) Math.floor(params.value() * rows * (double) cols / (rows + cols));
            case RANK -> (int) Math.min(params.value(), full);
            case TARGET_PARAMETERS -> throw new IllegalStateException("budget ranks are chosen for all layers at once");
        };
        return Math.max(1, Math.min(rank, full));
    }

    private static String describe(SvdParameters params, LowRank svd, int rank) {
        return String.format(java.util.Locale.ROOT, "rank %d of %d by %s, keeping %.2f%% of the energy", rank,
                svd.fullRank(), params.rule() == SvdParameters.RankRule.TARGET_PARAMETERS ? "the parameter budget"
                        : params.rule().name().toLowerCase(java.util.Locale.ROOT), 100 * svd.energyAt(rank));
    }

    /** A layer's weight as the matrix to factorize, oriented so that the factors map directly onto layers. */
    private record LayerFactors(LowRank svd, int rows, int cols, long[] weightShape) {

        static LayerFactors of(WeightedLayer layer, NodeProto node, TensorProto weight) {
            float[] w = Tensors.toFloats(weight);
            List<Long> dims = weight.getDimsList();
            if (layer.kind() == LayerKind.CONV) {
                // (out, in·kh·kw): the first factor's rows become r filters of the original kernel size
                int out = Math.toIntExact(dims.get(0));
                int rest = w.length / out;
                return new LayerFactors(new LowRank(toDouble(w), out, rest), out, rest,
                        dims.stream().mapToLong(Long::longValue).toArray());
            }
            int d0 = Math.toIntExact(dims.get(0));
            int d1 = Math.toIntExact(dims.get(1));
            boolean transposed = node.getOpType().equals("Gemm") && FactorizedExport.intAttr(node, "transB") == 1;
            // op(W) as in × out
            double[] m = new double[w.length];
            int in = transposed ? d1 : d0;
            int out = transposed ? d0 : d1;
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < out; j++) {
                    m[i * out + j] = transposed ? w[j * d1 + i] : w[i * d1 + j];
                }
            }
            double alpha = 1;
            if (node.getOpType().equals("Gemm")) {
                for (var a : node.getAttributeList()) {
                    if (a.getName().equals("alpha")) {
                        alpha = a.getF();
                    }
                }
            }
            if (alpha != 1) {
                for (int i = 0; i < m.length; i++) {
                    m[i] *= alpha; // folded into the factors; the exported Gemm then has alpha 1
                }
            }
            return new LayerFactors(new LowRank(m, in, out), in, out, new long[] {in, out});
        }

        FactorizedExport.Replacement replacement(int nodeIndex, String name, int r) {
            if (weightShape.length == 4) {
                // first: r filters (r, in, kh, kw) from √Σ·Vᵀ; second: 1×1 conv (out, r, 1, 1) from U·√Σ
                return new FactorizedExport.Replacement(nodeIndex, name, svd.right(r),
                        new long[] {r, weightShape[1], weightShape[2], weightShape[3]}, svd.left(r, 1),
                        new long[] {rows, r, 1, 1});
            }
            return new FactorizedExport.Replacement(nodeIndex, name, svd.left(r, 1),
                    new long[] {rows, r}, svd.right(r), new long[] {r, cols});
        }

        private static double[] toDouble(float[] w) {
            double[] d = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                d[i] = w[i];
            }
            return d;
        }
    }
}
