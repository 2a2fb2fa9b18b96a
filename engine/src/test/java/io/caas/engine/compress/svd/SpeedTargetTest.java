package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.SpeedCheck;
import io.caas.engine.cost.MacCounter;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FusionModels;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** svd's targetSpeedup: ranks chosen from measured per-layer time and sensitivity, and never a slower layer. */
class SpeedTargetTest {

    private final TruncatedSvdMethod svd = new TruncatedSvdMethod();

    @Test
    void aSpeedTargetedJobNeverKeepsALayerThatTimesSlowerThanDense() throws InterruptedException {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(5, 256, 256, 256, 256, 10);
        // gemm_2 times slower than dense in every form; the whole model times 10 % worse than its layers predict
        CostModel speed = new CostModel(mlp, Set.of("gemm_2"), 1.10);
        CompressionResult r = new TruncatedSvdMethod(speed.factory()).compress(new CompressionTask(mlp,
                Map.of("targetSpeedup", 1.6), Optional.empty(), Optional.empty()), ProgressListener.NONE);

        LayerReport slow = layer(r, "gemm_2");
        assertThat(slow.factorized()).isFalse();
        assertThat(slow.note()).startsWith("left dense by the speed target: none of its").contains("timed faster");
        assertThat(speed.askedFor("gemm_2")).as("every candidate of gemm_2 was timed").isGreaterThanOrEqualTo(3);
        List<LayerReport> factorized = r.layers().stream().filter(LayerReport::factorized).toList();
        assertThat(factorized).extracting(LayerReport::node).containsExactlyInAnyOrder("gemm_0", "gemm_4");
        for (LayerReport l : factorized) {
            assertThat(l.note()).contains("by the speed target").contains("chosen for the speed target: alone");
            assertThat(speed.ratioOf(l.node(), l.finalRank())).isLessThan(1);
        }
        // bisection over the thresholds, a whole-model timing each, then the final check of the model returned,
        // which times at least the target with its margin in the cost model, and at the first step that does
        double aim = 1.6 * SpeedRanks.TARGET_MARGIN;
        assertThat(speed.modelsTimed).isGreaterThanOrEqualTo(3);
        assertThat(speed.ratio(r.compressed())).isLessThanOrEqualTo(1 / aim);
        assertThat(speed.fasterChoicesThan(r.compressed(), aim)).as("a cheaper choice that also meets the target")
                .isEmpty();
    }

    @Test
    void anUnreachableTargetGivesTheFastestModelMeasuredAndSaysSo() throws InterruptedException {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(6, 128, 128, 128, 10);
        CostModel speed = new CostModel(mlp, Set.of(), 1.0);
        List<String> messages = new ArrayList<>();
        CompressionResult r = new TruncatedSvdMethod(speed.factory()).compress(new CompressionTask(mlp,
                Map.of("targetSpeedup", 50), Optional.empty(), Optional.empty()), (f, m) -> messages.add(m));

        assertThat(messages.get(messages.size() - 1)).contains("target not met, the nearest reached");
        // the nearest: every layer it may factorize (the classifier stays dense) at its smallest candidate
        for (LayerReport l : r.layers()) {
            if (!l.node().equals("gemm_4")) {
                assertThat(l.factorized()).as(l.note()).isTrue();
                int smallest = (int) Math.floor(SpeedRanks.CANDIDATE_RATIOS[0] * 128 * 128 / 256.0);
                assertThat(l.finalRank()).isEqualTo(smallest);
            }
        }
    }

    @Test
    void aBilinearLayerTakesItsHadamardFormWhereThatBuysTheTarget() throws InterruptedException {
        // the Einsum holds most of the fusion model's MACs: the target is out of reach without it
        ModelProto fusion = FusionModels.model(23, 32, 64);
        CostModel speed = new CostModel(fusion, Set.of(), 1.0);
        CompressionResult r = new TruncatedSvdMethod(speed.factory()).compress(new CompressionTask(fusion,
                Map.of("targetSpeedup", 2.0), Optional.empty(), Optional.empty()), ProgressListener.NONE);

        LayerReport bilinear = layer(r, FusionModels.BILINEAR_NODE);
        assertThat(bilinear.factorized()).as(bilinear.note()).isTrue();
        assertThat(bilinear.note()).startsWith("Hadamard form of rank " + bilinear.finalRank())
                .contains("chosen for the speed target").contains("the model with this layer alone in the Hadamard "
                        + "form timed");
        assertThat(bilinear.parametersAfter()).isEqualTo(bilinear.finalRank() * (32 + 32 + 64));
        assertThat(r.compressed().getGraph().getNodeList()).extracting(n -> n.getOpType()).doesNotContain("Einsum");
        assertThat(ModelInspector.inspect(r.compressed()).parameters()).isEqualTo(
                ModelInspector.inspect(fusion).parameters() - r.layers().stream()
                        .mapToLong(l -> l.parametersBefore() - l.parametersAfter()).sum());
        assertThat(speed.ratio(r.compressed())).isLessThanOrEqualTo(1 / (2.0 * SpeedRanks.TARGET_MARGIN));

        // a request that names its layers keeps to them: the bilinear layer is then not svd's to rewrite
        CompressionResult named = new TruncatedSvdMethod(speed.factory()).compress(new CompressionTask(fusion,
                Map.of("targetSpeedup", 2.0, "layers", List.of("gemm_0")), Optional.empty(), Optional.empty()),
                ProgressListener.NONE);
        assertThat(named.layers()).extracting(LayerReport::node).doesNotContain(FusionModels.BILINEAR_NODE);
        assertThat(named.compressed().getGraph().getNodeList()).extracting(n -> n.getOpType()).contains("Einsum");
    }

    @Test
    void aConvTakesTheFormThatIsFasterInTheWholeModelNotAlone() throws InterruptedException {
        ModelProto cnn = OnnxModelBuilder.cnn(7, 8, 4, 3, 32, 32, 32);
        // alone, the channel form reads faster; in the model, each channel-form conv costs time (layout reorders
        // around its few channels) and each spatial-form conv saves it, as ONNX Runtime measured on the comparison CNN
        SpeedCheck layoutBound = new SpeedCheck() {
            @Override
            public Verdict check(FactorizedExport.Replacement r) {
                double ratio = r.spatial() ? 0.6 : 0.3;
                return new Verdict(true, "", ratio, ratio, 1.0);
            }

            @Override
            public Verdict checkModel(ModelProto m) {
                double ratio = 1 + channelForms(m) * 0.2 - spatialForms(m) * 0.2;
                return new Verdict(ratio < 1, "", ratio, ratio, 2.0);
            }
        };
        CompressionResult r = new TruncatedSvdMethod((model, nodes, data, batch) -> layoutBound).compress(
                new CompressionTask(cnn, Map.of("targetSpeedup", 1.2), Optional.empty(), Optional.empty()),
                ProgressListener.NONE);

        List<LayerReport> factorized = r.layers().stream().filter(LayerReport::factorized).toList();
        assertThat(factorized).isNotEmpty().allSatisfy(l -> assertThat(l.note())
                .contains("its form chosen in the whole model").contains("the channel form 1.20x")
                .contains("the spatial form 0.80x"));
        assertThat(channelForms(r.compressed())).isZero();
        assertThat(spatialForms(r.compressed())).isEqualTo(factorized.size());
    }

    /** Factorized convs whose second factor is a 1×1 conv (the channel form). */
    private static long channelForms(ModelProto m) {
        return secondConvFactors(m).filter(t -> t.getDims(2) == 1 && t.getDims(3) == 1).count();
    }

    /** Factorized convs whose second factor is a 1×kw conv (the spatial form). */
    private static long spatialForms(ModelProto m) {
        return secondConvFactors(m).filter(t -> t.getDims(2) == 1 && t.getDims(3) > 1).count();
    }

    private static java.util.stream.Stream<io.caas.engine.onnx.proto.Onnx.TensorProto> secondConvFactors(
            ModelProto m) {
        return m.getGraph().getInitializerList().stream()
                .filter(t -> t.getName().endsWith("svd_second_weight") && t.getDimsCount() == 4);
    }

    @Test
    void realTimingsInOnnxRuntimeKeepOnlyFasterLayers() throws InterruptedException {
        // gemm_0 (1024→1024) has forms far faster than dense; gemm_4 (16→16) is kept only where its timing says so
        ModelProto mlp = OnnxModelBuilder.gemmMlp(3, 1024, 1024, 16, 16, 4);
        CompressionResult r = svd.compress(new CompressionTask(mlp, Map.of("targetSpeedup", 1.5, "layers",
                List.of("gemm_0", "gemm_4")), Optional.empty(), Optional.empty()), ProgressListener.NONE);
        for (LayerReport l : r.layers()) {
            if (l.factorized()) {
                Matcher m = Pattern.compile("at ([0-9.]+)x .* and ([0-9.]+)x at batch 1").matcher(l.note());
                assertThat(m.find()).as(l.note()).isTrue();
                assertThat(Double.parseDouble(m.group(1))).isLessThan(1);
                assertThat(Double.parseDouble(m.group(2))).isLessThan(1);
            }
        }
        // the big layer has forms far faster than dense, so the target is met with it (whatever the load)
        assertThat(layer(r, "gemm_0").factorized()).as(layer(r, "gemm_0").note()).isTrue();
    }

    @Test
    void theTargetIsOneSizeRuleAmongOthersAndNeedsTheSpeedCheck() {
        var summary = ModelInspector.inspect(OnnxModelBuilder.gemmMlp(1, 16, 16, 4));
        assertThatThrownBy(() -> svd.validate(Map.of("targetSpeedup", 2, "ratio", 0.5), summary))
                .hasMessageContaining("give only one of energy, ratio, rank, targetParameters, maxAccuracyDrop and "
                        + "targetSpeedup, not ratio and targetSpeedup");
        assertThatThrownBy(() -> svd.validate(Map.of("targetSpeedup", 1), summary))
                .hasMessageContaining("targetSpeedup must be a number in (1, 1000]");
        assertThatThrownBy(() -> svd.validate(Map.of("targetSpeedup", 2, "onlyIfFaster", false), summary))
                .hasMessageContaining("cannot run with onlyIfFaster false");
        assertThatThrownBy(() -> svd.validate(Map.of("convForm", "diagonal"), summary))
                .hasMessageContaining("convForm must be one of [auto, channels, spatial], got diagonal");
    }

    @Test
    void aJobsSpeedTargetBecomesTheRankRuleUnlessTheRequestChoosesTheSize() {
        assertThat(svd.withSpeedTarget(Map.of(), 2.0, 32)).contains(Map.of("targetSpeedup", 2.0,
                "timingBatchSize", 32));
        assertThat(svd.withSpeedTarget(Map.of("ratio", 0.3), 2.0, 32)).contains(Map.of("ratio", 0.3,
                "onlyIfFaster", true, "timingBatchSize", 32));
        assertThat(svd.withSpeedTarget(Map.of("onlyIfFaster", false), 2.0, 32)).isEmpty();
        assertThat(svd.withSpeedTarget(Map.of(), 1.0, 32)).contains(Map.of("onlyIfFaster", true,
                "timingBatchSize", 32));
    }

    @Test
    void thePathMovesTheLayerThatBuysTheMostTimePerPointFirst() {
        // layer 0: 1 ms dense, 0.6 ms saved for 0.2 points or 0.8 ms for 0.5; layer 1 (a shortcut): 0.5 ms dense,
        // 0.45 ms saved but 9 points lost; layer 2: a free 0.3 ms
        List<List<SpeedRanks.Option>> options = List.of(
                List.of(option(0, 8, 1.0, 0.4, 0.002), option(0, 4, 1.0, 0.2, 0.005)),
                List.of(option(1, 1, 0.5, 0.1, 0.09)),
                List.of(option(2, 6, 0.5, 0.4, 0.0)));
        List<SpeedRanks.Option[]> path = SpeedRanks.path(options);

        assertThat(path).hasSize(4);
        assertThat(path.get(0)[2]).as("the free move first").isNotNull();
        assertThat(path.get(1)[0].rank()).isEqualTo(8);
        assertThat(path.get(2)[0].rank()).isEqualTo(4);
        assertThat(path.get(2)[1]).as("the costly shortcut comes last").isNull();
        assertThat(path.get(3)[1]).isNotNull();
        double saved = 0;
        for (SpeedRanks.Option[] step : path) {
            double s = java.util.Arrays.stream(step).filter(o -> o != null).mapToDouble(SpeedRanks.Option::saved)
                    .sum();
            assertThat(s).as("each step saves more").isGreaterThan(saved);
            saved = s;
        }
    }

    private static SpeedRanks.Option option(int layer, int rank, double denseMillis, double ratio, double drop) {
        return new SpeedRanks.Option(layer, 0, rank, new SpeedCheck.Verdict(true, "", ratio, ratio, denseMillis),
                drop);
    }

    private static LayerReport layer(CompressionResult r, String node) {
        return r.layers().stream().filter(l -> l.node().equals(node)).findFirst().orElseThrow();
    }

    /**
     * Time as a cost model: a dense layer costs its weight's parameters, a factorized one its factors', the model
     * its MACs plus a fixed overhead, times {@code wholeModelPenalty} for any compressed model (what a real model
     * loses outside its layers). The layers named slower time 1.2x dense in every form.
     */
    private static final class CostModel implements SpeedCheck {
        final ModelProto original;
        final Set<String> slower;
        final double penalty;
        final Map<String, Long> denseParameters = new HashMap<>();
        final Map<String, Integer> asked = new HashMap<>();
        final Map<String, Double> ratios = new HashMap<>();
        int modelsTimed;
        final List<ModelProto> timedModels = new ArrayList<>();

        CostModel(ModelProto original, Set<String> slower, double penalty) {
            this.original = original;
            this.slower = slower;
            this.penalty = penalty;
            for (WeightedLayer l : ModelInspector.inspect(original).layers()) {
                denseParameters.put(l.node(), l.parameters());
            }
        }

        SpeedCheck.Factory factory() {
            return (model, nodes, data, batch) -> this;
        }

        int askedFor(String node) {
            return asked.getOrDefault(node, 0);
        }

        double ratioOf(String node, long rank) {
            return ratios.get(node + "@" + rank);
        }

        @Override
        public Verdict check(FactorizedExport.Replacement r) {
            asked.merge(r.nodeName(), 1, Integer::sum);
            long dense = denseParameters.get(r.nodeName());
            long factors = Arrays.stream(r.firstDims()).reduce(1, Math::multiplyExact)
                    + Arrays.stream(r.secondDims()).reduce(1, Math::multiplyExact);
            double ratio = slower.contains(r.nodeName()) ? 1.2 : (double) factors / dense;
            ratios.put(r.nodeName() + "@" + r.firstDims()[1], ratio);
            return new Verdict(ratio < 1, String.format("timed at %.2fx by the cost model", ratio), ratio, ratio,
                    dense / 1e4);
        }

        @Override
        public Verdict checkModel(ModelProto compressed) {
            modelsTimed++;
            timedModels.add(compressed);
            double ratio = ratio(compressed);
            return new Verdict(ratio < 1, "the whole model at " + ratio + "x by the cost model", ratio, ratio,
                    millis(original));
        }

        /** The models timed that met the target with fewer parameters cut than {@code chosen}: none, if minimal. */
        List<ModelProto> fasterChoicesThan(ModelProto chosen, double speedup) {
            long kept = ModelInspector.inspect(chosen).parameters();
            return timedModels.stream().filter(m -> ratio(m) <= 1 / speedup
                    && ModelInspector.inspect(m).parameters() > kept).toList();
        }

        double ratio(ModelProto compressed) {
            return compressed == original ? 1 : penalty * millis(compressed) / millis(original);
        }

        private static double millis(ModelProto m) {
            return MacCounter.count(m, null, List.of()).total() / 1e4 + 0.05;
        }
    }
}
