package io.caas.engine.compress.tensor;

import io.caas.engine.compress.CompressedFineTuning;
import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.LayerSelection;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.RatioBudget;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Tensor decomposition of convolution kernels: {@code tucker}, {@code cp} or {@code tt} (one instance each).
 * Every eligible kernel is fitted by its decomposition and the Conv replaced by the chain of smaller convolutions
 * the factors define; then, optionally, the whole model is fine-tuned.
 */
public final class TensorMethod implements CompressionMethod {

    /**
     * Parameters kept per layer by default: a ratio gives a predictable size, where an energy rule on trained
     * kernels (far from low rank: half the parameters leave 30-70 % relative kernel error) keeps nearly full
     * ranks. Measured at 0.5 without fine-tuning (BENCHMARKS.md): PP-OCRv4 rec output cosine 0.985-0.994, the
     * PaddleOCR classifier 0.92-0.97; the PP-OCRv4 detector moves far more even at 0.8, so it needs fineTune.
     */
    public static final double DEFAULT_RATIO = 0.5;
    /**
     * Fine-tuning's Adam rate; every weight trains (the factor convolutions included; the structure stays as
     * exported). Measured, not svd's 1e-4: a decomposed conv starts farther from the trained optimum than a
     * truncated matrix. On the method comparison's model (MethodComparisonBenchmarkTest, both convs at ratio 0.5,
     * 400 steps) 1e-3 against 1e-4 gave tucker 0.8500 vs 0.8240, tt 0.8660 vs 0.8520, cp 0.8840 vs 0.8850;
     * TensorBenchmarkTest's full recoveries were at 1e-3 too.
     */
    static final double DEFAULT_LEARNING_RATE = 1e-3;
    static final int DEFAULT_BATCH_SIZE = 64;

    /** The three decompositions. */
    public enum Variant {
        TUCKER("tucker", 2, "[r_in, r_out]"),
        CP("cp", 1, "[R]"),
        TT("tt", 3, "[r1, r2, r3]");

        private final String methodName;
        private final int rankCount;
        private final String rankMeaning;

        Variant(String methodName, int rankCount, String rankMeaning) {
            this.methodName = methodName;
            this.rankCount = rankCount;
            this.rankMeaning = rankMeaning;
        }

        public String methodName() {
            return methodName;
        }

        int rankCount() {
            return rankCount;
        }

        String rankMeaning() {
            return rankMeaning;
        }

        /** What this decomposition of a kernel of this shape holds at a ratio, without fitting it. */
        long parametersAtRatio(KernelShape shape, double ratio) {
            return switch (this) {
                case TUCKER -> Tucker2.parametersAtRatio(shape, ratio);
                case CP -> CpAls.parameters(shape, CpAls.rankForRatio(shape, ratio));
                case TT -> TensorTrain.parametersAtRatio(shape, ratio);
            };
        }

        KernelDecomposition decomposition(int iterations) {
            return switch (this) {
                case TUCKER -> new Tucker2(iterations);
                case CP -> new CpAls(iterations);
                case TT -> new TensorTrain();
            };
        }
    }

    private final Variant variant;
    private final MethodDescriptor descriptor;

    private TensorMethod(Variant variant, MethodDescriptor descriptor) {
        this.variant = variant;
        this.descriptor = descriptor;
    }

    public static TensorMethod tucker() {
        return new TensorMethod(Variant.TUCKER, TensorDescriptors.tucker());
    }

    public static TensorMethod cp() {
        return new TensorMethod(Variant.CP, TensorDescriptors.cp());
    }

    public static TensorMethod tt() {
        return new TensorMethod(Variant.TT, TensorDescriptors.tt());
    }

    @Override
    public boolean appliesTo(WeightedLayer layer) {
        return TensorParameters.eligible(layer);
    }

    @Override
    public MethodDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public void validate(Map<String, Object> parameters, ModelSummary model) {
        TensorParameters params = TensorParameters.parse(parameters, model, variant);
        if (params.targetParameters().isPresent()) {
            // the float32 check needs the weights; the floor counts every other layer it would decompose
            LayerSelection selection = LayerSelection.of(weighted(model), params.layers(), params.skipFirstAndLast());
            List<WeightedLayer> chosen = convs(model).stream()
                    .filter(l -> skipReason(l, params, selection) == null).toList();
            budget(model, chosen).requireReachable(params.targetParameters().getAsLong());
        }
    }

    /** As {@link #validate}, with the target's floor counted over the kernels that are float32. */
    @Override
    public void check(Map<String, Object> parameters, ModelProto model, ModelSummary summary,
                      boolean hasTrainingData) {
        TensorParameters params = TensorParameters.parse(parameters, summary, variant);
        if (params.targetParameters().isPresent()) {
            Weights weights = Weights.of(model.getGraph());
            LayerSelection selection = LayerSelection.of(weighted(summary), params.layers(),
                    params.skipFirstAndLast());
            List<WeightedLayer> chosen = convs(summary).stream()
                    .filter(l -> skipReason(l, params, selection) == null && weights.get(l.weight())
                            .map(TensorProto::getDataType).orElse(-1) == TensorProto.DataType.FLOAT_VALUE)
                    .toList();
            budget(summary, chosen).requireReachable(params.targetParameters().getAsLong());
        }
    }

    @Override
    public Set<String> sizeParameters() {
        return TensorParameters.SIZE_PARAMETERS;
    }

    private static List<WeightedLayer> weighted(ModelSummary model) {
        return model.layers().stream().filter(LowRankLayers::factorizable).toList();
    }

    private static List<WeightedLayer> convs(ModelSummary model) {
        return weighted(model).stream().filter(l -> l.kind() == LayerKind.CONV).toList();
    }

    /** The whole model's size at one ratio for every chosen layer, counted from the kernels' shapes. */
    private RatioBudget budget(ModelSummary model, List<WeightedLayer> chosen) {
        long untouched = model.parameters() - chosen.stream().mapToLong(WeightedLayer::parameters).sum();
        return new RatioBudget(variant.methodName(), untouched, chosen.stream().map(l -> {
            KernelShape shape = KernelShape.of(l.weightShape());
            return new RatioBudget.Layer(l.parameters(), ratio -> variant.parametersAtRatio(shape, ratio));
        }).toList());
    }

    /** A layer that was decomposed, before its sensitivity is known. */
    private record Decomposed(WeightedLayer layer, int nodeIndex, Factorization factorization, String rule) {
    }

    @Override
    public CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException {
        ModelProto model = task.model();
        ModelSummary summary = ModelInspector.inspect(model);
        TensorParameters params = TensorParameters.parse(task.parameters(), summary, variant);
        KernelDecomposition decomposition = variant.decomposition(params.iterations());
        Weights weights = Weights.of(model.getGraph());
        List<WeightedLayer> weighted = weighted(summary);
        Map<WeightedLayer, Integer> nodeIndex = LowRankLayers.nodeIndices(model, weighted);
        LayerSelection selection = LayerSelection.of(weighted, params.layers(), params.skipFirstAndLast());
        List<WeightedLayer> convs = convs(summary);
        boolean fineTune = params.fineTune() && task.trainData().isPresent();
        double fitShare = fineTune ? 0.4 : 0.8;

        Map<WeightedLayer, String> leftAlone = new LinkedHashMap<>();
        List<WeightedLayer> chosen = new ArrayList<>();
        for (WeightedLayer layer : convs) {
            String skip = skipReason(layer, params, selection);
            if (skip == null && weights.get(layer.weight()).orElseThrow().getDataType()
                    != TensorProto.DataType.FLOAT_VALUE) {
                skip = "weight is not float32";
            }
            if (skip != null) {
                leftAlone.put(layer, skip);
            } else {
                chosen.add(layer);
            }
        }
        RankTarget common = params.target();
        String budgetNote = "";
        if (params.targetParameters().isPresent()) {
            long targetParameters = params.targetParameters().getAsLong();
            double ratio = budget(summary, chosen).largestRatioWithin(targetParameters);
            common = new RankTarget.Ratio(ratio);
            budgetNote = " (the largest common ratio within targetParameters " + targetParameters + ")";
            progress.progress(0, String.format(Locale.ROOT, "targetParameters %d: ratio %.4g for %d layers",
                    targetParameters, ratio, chosen.size()));
        }
        // a budget counts a layer that would not shrink as it is, so it is left as it is whatever onlyIfSmaller says
        boolean keepUnlessSmaller = params.onlyIfSmaller() || params.targetParameters().isPresent();

        List<Decomposed> decomposed = new ArrayList<>();
        for (int li = 0; li < chosen.size(); li++) {
            WeightedLayer layer = chosen.get(li);
            Kernel kernel = Kernel.of(Tensors.toFloats(weights.get(layer.weight()).orElseThrow()),
                    layer.weightShape().stream().mapToLong(Long::longValue).toArray());
            int[] explicit = params.ranks().get(layer.node());
            RankTarget target = explicit != null ? new RankTarget.Explicit(explicit) : common;
            Factorization f = decomposition.fit(kernel, target);
            if (Thread.interrupted()) {
                throw new InterruptedException(variant.methodName() + " cancelled");
            }
            String rule = describe(target, f) + (explicit != null ? "" : budgetNote);
            if (keepUnlessSmaller && f.parameters() >= layer.parameters()) {
                leftAlone.put(layer, "left as it was: " + rule + " would not shrink it (" + f.parameters() + " ≥ "
                        + layer.parameters() + " parameters)");
            } else {
                decomposed.add(new Decomposed(layer, nodeIndex.get(layer), f, rule));
                progress.metric("kernelError:" + layer.node(), li, f.relativeError());
            }
            progress.progress(fitShare * (li + 1.0) / chosen.size(), "decomposed " + (li + 1) + " of "
                    + chosen.size() + " convolutions");
        }

        String prefix = variant.methodName();
        List<ConvChainExport.Replacement> replacements = decomposed.stream().map(d ->
                new ConvChainExport.Replacement(d.nodeIndex(), d.layer().node(), d.factorization().stages())).toList();
        ModelProto compressed = new ConvChainExport(model, prefix).apply(replacements);
        Map<String, String> sensitivity = sensitivity(model, task, params, decomposed, replacements, prefix,
                progress, fitShare, fineTune ? 0.5 : 1.0);

        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        if (fineTune && !replacements.isEmpty()) {
            compressed = CompressedFineTuning.withDefaults(DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE, 1)
                    .progress(0.5, 0.5).run(model, compressed, task, progress, curves);
        } else if (params.fineTune() && task.trainData().isEmpty()) {
            progress.progress(1.0, "fineTune is set but the job has no training data: not fine-tuned");
        }
        List<LayerReport> reports = reports(weighted, leftAlone, decomposed, sensitivity);
        progress.progress(1.0, decomposed.size() + " convolutions decomposed by " + prefix
                + (curves.containsKey("loss") ? " and fine-tuned" : ""));
        return new CompressionResult(compressed, reports, curves);
    }

    /** One model per decomposed layer with only that layer replaced, compared with the original. */
    private static Map<String, String> sensitivity(ModelProto model, CompressionTask task, TensorParameters params,
                                                   List<Decomposed> decomposed,
                                                   List<ConvChainExport.Replacement> replacements, String prefix,
                                                   ProgressListener progress, double from, double to)
            throws InterruptedException {
        Map<String, String> notes = new LinkedHashMap<>();
        if (params.sensitivitySamples() == 0 || decomposed.isEmpty()) {
            progress.progress(to, "sensitivity not measured");
            return notes;
        }
        LayerSensitivity probe = new LayerSensitivity(model, task.evalData(), params.sensitivitySamples());
        for (int k = 0; k < decomposed.size(); k++) {
            if (Thread.interrupted()) {
                throw new InterruptedException("cancelled while measuring sensitivity");
            }
            String node = decomposed.get(k).layer().node();
            try {
                ModelProto single = new ConvChainExport(model, prefix).apply(List.of(replacements.get(k)));
                LayerSensitivity.Figures f = probe.measure(single);
                notes.put(node, f.text());
                progress.metric("sensitivity:" + node, k, f.outputRelativeError());
            } catch (RuntimeException e) {
                notes.put(node, "output change not measured: " + e.getMessage());
            }
            progress.progress(from + (to - from) * (k + 1.0) / decomposed.size(),
                    "measured " + (k + 1) + " of " + decomposed.size() + " layers alone");
        }
        return notes;
    }

    private static List<LayerReport> reports(List<WeightedLayer> weighted, Map<WeightedLayer, String> leftAlone,
                                             List<Decomposed> decomposed, Map<String, String> sensitivity) {
        List<LayerReport> reports = new ArrayList<>();
        for (WeightedLayer layer : weighted) {
            long[] shape = layer.matrixShape();
            long full = Math.min(shape[0], shape[1]);
            Optional<Decomposed> d = decomposed.stream().filter(x -> x.layer() == layer).findFirst();
            if (d.isPresent()) {
                Factorization f = d.get().factorization();
                int[] ranks = f.ranks();
                String note = d.get().rule() + String.format(Locale.ROOT, "; kernel relative error %.4f",
                        f.relativeError());
                String alone = sensitivity.get(layer.node());
                reports.add(new LayerReport(layer.node(), layer.opType(), shape, full, ranks[ranks.length - 1],
                        layer.parameters(), f.parameters(), true, alone == null ? note : note + "; " + alone));
                continue;
            }
            String why = leftAlone.get(layer);
            if (why == null) {
                why = layer.kind() == LayerKind.DENSE ? "not a convolution: left as it was (use svd for dense layers)"
                        : "not requested";
            }
            reports.add(new LayerReport(layer.node(), layer.opType(), shape, full, full, layer.parameters(),
                    layer.parameters(), false, why));
        }
        return reports;
    }

    private static String skipReason(WeightedLayer layer, TensorParameters params, LayerSelection selection) {
        if (!TensorParameters.eligible(layer)) {
            return "1x1 convolution: a dense layer over channels with no kernel to decompose, left as it was "
                    + "(svd factorizes it)";
        }
        if (params.ranks().containsKey(layer.node())) {
            return null;
        }
        return selection.skipReason(layer, "left as it was");
    }

    private static String describe(RankTarget target, Factorization f) {
        String rule = target instanceof RankTarget.Energy e ? String.format(Locale.ROOT, "energy %.4g", e.fraction())
                : target instanceof RankTarget.Ratio r ? String.format(Locale.ROOT, "ratio %.4g", r.fraction())
                : "explicit ranks";
        return "ranks " + f.ranksText() + " by " + rule;
    }
}
