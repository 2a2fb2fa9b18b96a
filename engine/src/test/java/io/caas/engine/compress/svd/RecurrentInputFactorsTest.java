package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.LayerSpeedCheck;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.SpeedCheck;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.compress.oialr.OialrMethod;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.FixedSpeedCheck;
import io.caas.engine.testing.OrtVsInterpreter;
import io.caas.engine.testing.PyTorchExports;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The input weights W of LSTM and GRU nodes as svd and oialr rewrite them: a MatMul from the node's input to r
 * features, shared by both directions, then the node with W' (directions, gates·hidden, r). On the models PyTorch 1.13
 * exported (scripts/export-recurrent-models.sh): one layer, and two bidirectional, each with a Linear head.
 */
class RecurrentInputFactorsTest {

    private static final long[] SAMPLE = {7, 12};
    private static final int HIDDEN = 24;
    private static final Dataset DATA = data(48);

    @ParameterizedTest
    @ValueSource(strings = {"lstm-1layer", "lstm-2layer-bi", "gru-1layer", "gru-2layer-bi"})
    void eachRecurrentNodesInputWeightsAreOneLayer(String name) throws Exception {
        List<WeightedLayer> layers = ModelInspector.inspect(model(name)).layers();
        int gates = name.startsWith("lstm") ? 4 : 3;
        long directions = name.endsWith("-bi") ? 2 : 1;
        List<WeightedLayer> recurrent = recurrentLayers(model(name));
        assertThat(recurrent).hasSize(name.contains("2layer") ? 2 : 1);
        assertThat(recurrent.get(0).weightShape()).containsExactly(directions, (long) gates * HIDDEN, 12L);
        assertThat(recurrent.get(0).matrixShape()).containsExactly(directions * gates * HIDDEN, 12);
        if (recurrent.size() > 1) { // the second layer reads both directions of the first
            assertThat(recurrent.get(1).weightShape()).containsExactly(directions, (long) gates * HIDDEN,
                    directions * HIDDEN);
        }
        assertThat(layers.get(layers.size() - 1).kind()).as("the Linear head").isEqualTo(LayerKind.DENSE);
        assertThat(layers).filteredOn(l -> l.kind() == LayerKind.RECURRENT).extracting(WeightedLayer::opType)
                .containsOnly(name.startsWith("lstm") ? "LSTM" : "GRU");
    }

    /** At full rank the factors are the weight: the rewritten graph computes what the original does. */
    @ParameterizedTest
    @ValueSource(strings = {"lstm-1layer", "lstm-2layer-bi", "gru-1layer", "gru-2layer-bi"})
    void atFullRankTheRewrittenGraphEqualsTheOriginalInOnnxRuntime(String name) throws Exception {
        ModelProto original = model(name);
        CompressionResult result = svd(original, Map.of("rank", 1000, "onlyIfSmaller", false));
        ModelProto rewritten = result.compressed();
        for (WeightedLayer layer : recurrentLayers(original)) {
            NodeProto node = node(rewritten, layer.node());
            TensorProto w = Weights.of(rewritten.getGraph()).get(node.getInput(1)).orElseThrow();
            long full = Math.min(layer.matrixShape()[0], layer.matrixShape()[1]);
            assertThat(w.getDimsList()).containsExactly(layer.weightShape().get(0), layer.weightShape().get(1), full);
            assertThat(producer(rewritten, node.getInput(0)).getOpType()).isEqualTo("MatMul");
        }
        double diff = Evaluator.compare(original, rewritten, Optional.of(DATA),
                EvaluationOptions.defaults().withBatchSize(16)).maxAbsDiff();
        System.out.printf("%s at full rank: max abs diff vs the original in ONNX Runtime %.2e%n", name, diff);
        assertThat(diff).isLessThan(1e-5);
    }

    /**
     * Truncated, the model is smaller and computes, in ONNX Runtime and in the interpreter alike, exactly the
     * original with each W replaced by its rank-r product: the projection and W' are laid out as the node reads them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"lstm-1layer", "lstm-2layer-bi", "gru-1layer", "gru-2layer-bi"})
    void truncatedTheGraphComputesTheOriginalWithTheLowRankWeight(String name) throws Exception {
        ModelProto original = model(name);
        CompressionResult result = svd(original, Map.of("ratio", 0.5));
        ModelProto rewritten = result.compressed();
        assertThat(ModelInspector.inspect(rewritten).parameters())
                .isLessThan(ModelInspector.inspect(original).parameters());
        List<WeightedLayer> recurrent = recurrentLayers(original);
        assertThat(result.layers()).filteredOn(LayerReport::factorized).hasSize(recurrent.size());
        ModelProto reference = original;
        Weights weights = Weights.of(rewritten.getGraph());
        for (WeightedLayer layer : recurrent) {
            NodeProto node = node(rewritten, layer.node());
            float[] a = Tensors.toFloats(weights.get(producer(rewritten, node.getInput(0)).getInput(1)).orElseThrow());
            TensorProto second = weights.get(node.getInput(1)).orElseThrow();
            int r = Math.toIntExact(second.getDims(2));
            assertThat(r).isLessThan((int) Math.min(layer.matrixShape()[0], layer.matrixShape()[1]));
            float[] b = Tensors.toFloats(second);
            int in = Math.toIntExact(layer.weightShape().get(2));
            int rows = b.length / r;
            float[] w = new float[rows * in];
            for (int o = 0; o < rows; o++) {
                for (int i = 0; i < in; i++) {
                    double v = 0;
                    for (int k = 0; k < r; k++) {
                        v += (double) a[i * r + k] * b[o * r + k];
                    }
                    w[o * in + i] = (float) v;
                }
            }
            reference = withWeight(reference, Tensors.floatTensor(layer.weight(), w,
                    layer.weightShape().stream().mapToLong(Long::longValue).toArray()));
        }
        double diff = Evaluator.compare(reference, rewritten, Optional.of(DATA),
                EvaluationOptions.defaults().withBatchSize(16)).maxAbsDiff();
        double interpreter = OrtVsInterpreter.maxAbsDiff(rewritten, SAMPLE, 3);
        System.out.printf("%s at ratio 0.5: vs the rank-r weights %.2e, interpreter vs ONNX Runtime %.2e%n", name,
                diff, interpreter);
        assertThat(diff).isLessThan(1e-5);
        assertThat(interpreter).isLessThan(1e-4);
    }

    /**
     * With training data svd whitens by default: each projection keeps what matters for the node's gate inputs on
     * the calibration sequences (the first layer's inputs are the model's, the second's the first layer's outputs
     * with the first already replaced), and the result is no further from the original than the plain truncation.
     */
    @Test
    void whitenedOnCalibrationSequencesTheProjectionIsNoWorseThanPlain() throws Exception {
        ModelProto original = model("lstm-2layer-bi");
        Map<String, Object> p = Map.of("ratio", 0.3, "onlyIfFaster", false, "calibrationSamples", 48,
                "layers", recurrentLayers(original).stream().map(WeightedLayer::node).toList());
        CompressionResult whitened = new TruncatedSvdMethod().compress(new CompressionTask(original, p,
                Optional.of(DATA), Optional.empty()), ProgressListener.NONE);
        assertThat(whitened.layers()).filteredOn(LayerReport::factorized).hasSize(2)
                .allSatisfy(l -> assertThat(l.note()).contains("whitened (sequential)"));
        CompressionResult plain = svd(original, Map.of("ratio", 0.3));
        EvaluationOptions options = EvaluationOptions.defaults().withBatchSize(16);
        double whitenedDiff = Evaluator.compare(original, whitened.compressed(), Optional.of(DATA), options)
                .maxAbsDiff();
        double plainDiff = Evaluator.compare(original, plain.compressed(), Optional.of(DATA), options).maxAbsDiff();
        System.out.printf("lstm-2layer-bi at ratio 0.3: max abs diff vs the original, whitened %.3e, plain %.3e%n",
                whitenedDiff, plainDiff);
        assertThat(whitenedDiff).isLessThanOrEqualTo(plainDiff * 1.05);
    }

    /**
     * A recurrent layer's MACs are its W and R products at every step of a sample, before and after: the projection
     * to r features plus the node's smaller W.
     */
    @Test
    void macsCountTheRecurrentProductsBeforeAndTheProjectionAfter() throws Exception {
        ModelProto original = model("lstm-1layer");
        ModelProto rewritten = svd(original, Map.of("rank", 5)).compressed();
        var macs = io.caas.engine.cost.MacCounter.compare(original, rewritten, SAMPLE, List.of());
        var layer = macs.layers().get(0);
        assertThat(layer.opType()).isEqualTo("LSTM");
        // 7 steps; W (1, 96, 12) and R (1, 96, 24)
        assertThat(layer.macsBefore()).isEqualTo(7L * (96 * 12 + 96 * 24));
        // x·A (12 × 5) at each step, then W' (1, 96, 5) and R
        assertThat(layer.macsAfter()).isEqualTo(7L * 12 * 5 + 7L * (96 * 5 + 96 * 24));
        assertThat(layer.nodesAfter()).hasSize(2);
    }

    /**
     * The speed check judges the recurrent layer as any other: timed alone in ONNX Runtime (its initial states,
     * which the export computes from the input's shape, left to their zero default), and left dense when slower.
     */
    @Test
    void theSpeedCheckTimesTheRecurrentLayerAndALayerJudgedSlowerStaysDense() throws Exception {
        ModelProto original = model("lstm-2layer-bi");
        List<WeightedLayer> recurrent = recurrentLayers(original);
        List<Integer> nodes = new ArrayList<>(LowRankLayers.nodeIndices(original, recurrent).values());
        LayerSpeedCheck timed = LayerSpeedCheck.of(original, nodes, Optional.of(DATA), 8);
        CompressionResult plain = svd(original, Map.of("ratio", 0.5));
        FactorizedExport.Replacement first = null;
        for (int i = 0; i < original.getGraph().getNodeCount(); i++) {
            if (original.getGraph().getNode(i).getName().equals(recurrent.get(1).node())) {
                first = factorsOf(plain.compressed(), recurrent.get(1), i);
            }
        }
        SpeedCheck.Verdict verdict = timed.check(first);
        System.out.println(recurrent.get(1).node() + ": " + verdict.note());
        assertThat(verdict.note()).startsWith("timed in ONNX Runtime (1 thread) at ").contains("at batch 8");

        String slow = recurrent.get(1).node();
        FixedSpeedCheck fixed = new FixedSpeedCheck(Set.of(slow), true);
        Map<String, Object> p = new LinkedHashMap<>(Map.of("ratio", 0.5, "whitening", "none",
                "skipFirstAndLast", false));
        CompressionResult checked = new TruncatedSvdMethod(fixed.factory())
                .compress(new CompressionTask(original, p, Optional.empty(), Optional.empty()), ProgressListener.NONE);
        assertThat(fixed.layersAsked).contains(recurrent.get(0).node(), slow);
        LayerReport left = checked.layers().stream().filter(l -> l.node().equals(slow)).findFirst().orElseThrow();
        assertThat(left.factorized()).isFalse();
        assertThat(left.note()).startsWith("left dense").endsWith("not faster");
        assertThat(checked.layers().stream().filter(l -> l.node().equals(recurrent.get(0).node())).findFirst()
                .orElseThrow().factorized()).isTrue();
        assertThat(node(checked.compressed(), slow).getInput(1)).isEqualTo(recurrent.get(1).weight());
    }

    /**
     * oialr trains the projection's core through the LSTMs (distilling the original on unlabelled data), cuts it to
     * a parameter target, and exports the two factors: the exported model computes the trained three-factor one.
     */
    @Test
    void oialrTrainsTheProjectionThroughTheLstmAndExportsWhatItTrained() throws Exception {
        ModelProto original = model("lstm-2layer-bi");
        long before = ModelInspector.inspect(original).parameters();
        Map<String, Object> p = Map.of("frequency", 2, "targetParameters", 16_000);
        OialrMethod.Outcome out = new OialrMethod().run(new CompressionTask(original, p, Optional.of(DATA),
                Optional.empty(), new TrainingBudget(null, 8L, 16, 1e-3)), ProgressListener.NONE);
        ModelProto compressed = out.result().compressed();
        assertThat(ModelInspector.inspect(compressed).parameters()).isLessThanOrEqualTo(16_000).isLessThan(before);
        List<WeightedLayer> recurrent = recurrentLayers(original);
        assertThat(out.result().layers()).filteredOn(l -> recurrent.stream().anyMatch(r -> r.node().equals(l.node())))
                .allMatch(LayerReport::factorized);
        double diff = Evaluator.compare(out.finalFactorized(), compressed, Optional.of(DATA),
                EvaluationOptions.defaults().withBatchSize(16)).maxAbsDiff();
        double trained = Evaluator.compare(original, compressed, Optional.of(DATA),
                EvaluationOptions.defaults().withBatchSize(16)).maxAbsDiff();
        System.out.printf("oialr on lstm-2layer-bi: %d -> %d parameters; export vs trained graph %.2e, vs the "
                + "original %.2e%n", before, ModelInspector.inspect(compressed).parameters(), diff, trained);
        assertThat(diff).isLessThan(1e-4);
        assertThat(OrtVsInterpreter.maxAbsDiff(compressed, SAMPLE, 3)).isLessThan(1e-4);
    }

    private static CompressionResult svd(ModelProto model, Map<String, Object> extra) throws InterruptedException {
        Map<String, Object> p = new LinkedHashMap<>(Map.of("whitening", "none", "onlyIfFaster", false,
                "layers", recurrentLayers(model).stream().map(WeightedLayer::node).toList()));
        p.putAll(extra);
        return new TruncatedSvdMethod().compress(new CompressionTask(model, p, Optional.empty(), Optional.empty()),
                ProgressListener.NONE);
    }

    /** The replacement the export made of one layer, read back from the rewritten graph. */
    private static FactorizedExport.Replacement factorsOf(ModelProto rewritten, WeightedLayer layer, int index) {
        NodeProto node = node(rewritten, layer.node());
        Weights weights = Weights.of(rewritten.getGraph());
        TensorProto a = weights.get(producer(rewritten, node.getInput(0)).getInput(1)).orElseThrow();
        TensorProto b = weights.get(node.getInput(1)).orElseThrow();
        return new FactorizedExport.Replacement(index, layer.node(), Tensors.toFloats(a),
                a.getDimsList().stream().mapToLong(Long::longValue).toArray(), Tensors.toFloats(b),
                b.getDimsList().stream().mapToLong(Long::longValue).toArray());
    }

    private static List<WeightedLayer> recurrentLayers(ModelProto model) {
        return ModelInspector.inspect(model).layers().stream().filter(l -> l.kind() == LayerKind.RECURRENT).toList();
    }

    private static NodeProto node(ModelProto model, String name) {
        return model.getGraph().getNodeList().stream().filter(n -> n.getName().equals(name)).findFirst().orElseThrow();
    }

    private static NodeProto producer(ModelProto model, String value) {
        return model.getGraph().getNodeList().stream().filter(n -> n.getOutputList().contains(value)).findFirst()
                .orElseThrow();
    }

    private static ModelProto withWeight(ModelProto model, TensorProto weight) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getName().equals(weight.getName())) {
                g.setInitializer(i, weight);
            }
        }
        return model.toBuilder().setGraph(g).build();
    }

    private static Dataset data(int n) {
        SplittableRandom r = new SplittableRandom(15);
        float[] x = new float[n * 7 * 12];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return new Dataset("gaussian sequences", SAMPLE, x, null, 0);
    }

    private static ModelProto model(String name) throws Exception {
        return PyTorchExports.read(name);
    }
}
