package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AccuracyRanksTest {

    /** Four 64→64 layers (gemm_0..gemm_6) and the classifier; candidates at 3, 6, 9, 16, 22 (break-even 32). */
    private static final ModelProto MLP = OnnxModelBuilder.gemmMlp(5, 64, 64, 64, 64, 64, 10);

    /** Each layer's own top-1 drop at each candidate rank, as the stand-in measurement gives it. */
    private static double ownDrop(String node, int rank) {
        return switch (node) {
            case "gemm_0" -> 0.001; // insensitive
            case "gemm_2" -> rank <= 3 ? 0.03 : rank <= 6 ? 0.02 : rank <= 9 ? 0.012 : rank <= 16 ? 0.004 : 0.001;
            case "gemm_4" -> rank <= 3 ? 0.009 : 0.004;
            default -> 0.05; // gemm_6: too sensitive at every candidate
        };
    }

    /** Top-1 0.9 for the original; factorized layers' drops add, and together cost 1.6 times their sum. */
    private static double standInTop1(ModelProto m) {
        Weights w = Weights.of(m.getGraph());
        List<Double> drops = new ArrayList<>();
        for (String node : List.of("gemm_0", "gemm_2", "gemm_4", "gemm_6")) {
            Optional<TensorProto> first = w.get(node + "/svd_first_weight");
            first.ifPresent(t -> drops.add(ownDrop(node, (int) t.getDims(1))));
        }
        double sum = drops.stream().mapToDouble(Double::doubleValue).sum();
        return 0.9 - (drops.size() > 1 ? 1.6 : 1) * sum;
    }

    private static List<LayerTruncation> truncations() {
        Weights weights = Weights.of(MLP.getGraph());
        List<WeightedLayer> layers = ModelInspector.inspect(MLP).layers().subList(0, 4);
        List<LayerTruncation> factors = new ArrayList<>();
        for (WeightedLayer layer : layers) {
            int index = LowRankLayers.nodeIndices(MLP, List.of(layer)).get(layer);
            io.caas.engine.compress.LayerMatrix m = io.caas.engine.compress.LayerMatrix.of(layer, index,
                    MLP.getGraph().getNode(index), weights.get(layer.weight()).orElseThrow());
            LowRank svd = new LowRank(m.matrix(), m.in(), m.out());
            factors.add(new LayerTruncation(m.in(), m.out(), svd.singularValues(), false, "energy",
                    r -> new FactorizedExport.Replacement(index, layer.node(), svd.left(r, 1),
                            new long[] {m.in(), r}, svd.right(r), new long[] {r, m.out()})));
        }
        return factors;
    }

    @Test
    void eachLayerTakesTheSmallestRankWithinHalfTheBudgetThenTheMostSensitiveGrowsUntilTheWholeFits()
            throws InterruptedException {
        List<LayerTruncation> factors = truncations();
        assertThat(AccuracyRanks.candidates(factors.get(0))).containsExactly(3, 6, 9, 16, 22);

        List<String> messages = new ArrayList<>();
        AccuracyRanks.Choice c = AccuracyRanks.choose(factors, 0.02, 500, AccuracyRanksTest::standInTop1, MLP,
                (f, message) -> messages.add(message));

        // alone within 0.01: gemm_0 at 3, gemm_2 at 16, gemm_4 at 3; gemm_6 never, so dense. Together
        // 1.6·(0.001 + 0.004 + 0.009) = 0.0224 > 0.02, so gemm_4, the largest own drop, goes to 6: 0.0144
        assertThat(c.ranks()).containsExactly(3, 16, 6, AccuracyRanks.DENSE);
        assertThat(c.baseline()).isEqualTo(0.9);
        assertThat(c.accuracy()).isCloseTo(0.9 - 1.6 * 0.009, within(1e-12));
        assertThat(c.drops()[2]).isCloseTo(0.004, within(1e-12));
        assertThat(Double.isNaN(c.drops()[3])).isTrue();
        assertThat(c.note(1)).isEqualTo("alone 0.40 points below the original's top-1 on 500 labelled samples");
        assertThat(c.note(3)).isEmpty();
        assertThat(messages).contains("sensitivity of layer 4 of 4: kept dense");

        // a budget nothing fits leaves every layer dense: the original
        AccuracyRanks.Choice none = AccuracyRanks.choose(factors, 0.0001, 500, AccuracyRanksTest::standInTop1, MLP,
                ProgressListener.NONE);
        assertThat(none.ranks()).containsOnly(AccuracyRanks.DENSE);
        assertThat(none.accuracy()).isEqualTo(0.9);
    }

    @Test
    void theMethodStaysWithinTheBudgetOnTheSamplesAndSaysSo() throws InterruptedException {
        // labels are the model's own classes, so the original is right on all of them
        SplittableRandom r = new SplittableRandom(3);
        int n = 400;
        float[] x = new float[n * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[][] out;
        try (io.caas.engine.eval.ModelRunner runner = new io.caas.engine.eval.ModelRunner(MLP, 1, new long[] {64})) {
            out = runner.run(x, 0, n);
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int k = 1; k < 10; k++) {
                if (out[i][k] > out[i][y[i]]) {
                    y[i] = k;
                }
            }
        }
        Dataset data = new Dataset("own-labels", new long[] {64}, x, y, 10);
        List<String> messages = new ArrayList<>();
        CompressionResult res = new TruncatedSvdMethod().compress(new CompressionTask(MLP, Map.of("maxAccuracyDrop",
                0.2, "whitening", "none", "onlyIfFaster", false), Optional.of(data), Optional.empty()),
                (f, message) -> messages.add(message));

        double top1 = Evaluator.top1(res.compressed(), data, n, 100);
        assertThat(top1).isGreaterThanOrEqualTo(1.0 - 0.2);
        assertThat(messages.get(messages.size() - 1)).contains("ranks chosen for the accuracy budget: top-1")
                .contains("against the original's 1.0000 on 400 labelled samples")
                .endsWith(String.format(java.util.Locale.ROOT, "the model returned: top-1 %.4f", top1));
        for (LayerReport l : res.layers().subList(0, 4)) {
            if (l.factorized()) {
                assertThat(l.note()).contains("by the accuracy budget").contains("points below the original's top-1");
                assertThat(l.finalRank()).isIn(3L, 6L, 9L, 16L, 22L);
            } else {
                assertThat(l.parametersAfter()).isEqualTo(l.parametersBefore());
            }
        }

        // it needs labelled training data, and is one size rule among the others
        TruncatedSvdMethod svd = new TruncatedSvdMethod();
        assertThatThrownBy(() -> svd.check(Map.of("maxAccuracyDrop", 0.01), MLP, ModelInspector.inspect(MLP), false))
                .isInstanceOfSatisfying(InvalidParametersException.class, e -> assertThat(e.problems())
                        .containsExactly(TruncatedSvdMethod.NEEDS_LABELS));
        Dataset unlabelled = new Dataset("no-labels", new long[] {64}, x, null, 0);
        assertThatThrownBy(() -> svd.compress(new CompressionTask(MLP, Map.of("maxAccuracyDrop", 0.01),
                Optional.of(unlabelled), Optional.empty()), ProgressListener.NONE))
                .hasMessageContaining("needs labels");
        assertThatThrownBy(() -> svd.validate(Map.of("maxAccuracyDrop", 0.01, "ratio", 0.5),
                ModelInspector.inspect(MLP))).hasMessageContaining(
                "give only one of energy, ratio, rank, targetParameters, maxAccuracyDrop and targetSpeedup, not ratio and "
                        + "maxAccuracyDrop");
        assertThatThrownBy(() -> svd.validate(Map.of("maxAccuracyDrop", 0), ModelInspector.inspect(MLP)))
                .hasMessageContaining("maxAccuracyDrop must be a number in (0, 1]");
        assertThat(svd.withAccuracyBudget(Map.of("layers", List.of("gemm_0")), 0.01)).contains(Map.of("layers",
                List.of("gemm_0"), "maxAccuracyDrop", 0.01));
        assertThat(svd.withAccuracyBudget(Map.of("rank", 4), 0.01)).isEmpty();
    }
}
