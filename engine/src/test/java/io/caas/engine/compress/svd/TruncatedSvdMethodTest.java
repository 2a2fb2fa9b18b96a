package io.caas.engine.compress.svd;

import static io.caas.engine.testing.OnnxModelBuilder.integer;
import static io.caas.engine.testing.OnnxModelBuilder.real;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.OutputAgreement;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.FixedSpeedCheck;
import io.caas.engine.testing.OnnxModelBuilder;
import io.caas.engine.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TruncatedSvdMethodTest {

    /** Factorize every layer at full rank, even where that grows it: the rewrite must then be exact. */
    private static final Map<String, Object> FULL_RANK = Map.of("rank", 1_000_000, "onlyIfSmaller", false,
            "skipFirstAndLast", false, "onlyIfFaster", false);

    private final TruncatedSvdMethod svd = new TruncatedSvdMethod();

    @TempDir
    Path dir;

    @Test
    void fullRankGemmMlpRunsExactlyLikeTheOriginal() throws InterruptedException {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(7, 40, 24, 16, 5);
        CompressionResult r = compress(mlp, FULL_RANK);

        assertThat(r.layers()).hasSize(3).allMatch(LayerReport::factorized);
        assertThat(maxAbsDiff(mlp, r.compressed(), null)).isLessThanOrEqualTo(1e-4);
        List<String> ops = r.compressed().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertThat(ops).containsExactly("MatMul", "Gemm", "Relu", "MatMul", "Gemm", "Relu", "MatMul", "Gemm");
        assertThat(initializerNames(r.compressed())).doesNotContain("w0", "w1", "w2").contains("b0", "b1", "b2");
    }

    @Test
    void nodesSharingANameAreEachFactorized() throws InterruptedException {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(8, 12, 10, 6);
        var graph = mlp.getGraph().toBuilder();
        graph.getNodeBuilder(0).setName("dense");
        graph.getNodeBuilder(2).setName("dense");
        ModelProto named = mlp.toBuilder().setGraph(graph).build();
        CompressionResult r = compress(named, FULL_RANK);
        assertThat(r.layers()).extracting(LayerReport::node).containsExactly("dense", "dense");
        assertThat(r.layers()).allMatch(LayerReport::factorized);
        // ORT refuses the duplicate names of the input; the factor nodes get unique names, so the output runs
        assertThat(maxAbsDiff(mlp, r.compressed(), null)).isLessThanOrEqualTo(1e-4);
        assertThat(r.curves()).hasSize(1); // one curve per distinct layer name
        assertThat(r.curves().get("energy:dense")).last().satisfies(p -> assertThat(p[1]).isCloseTo(1.0,
                org.assertj.core.api.Assertions.within(1e-9)));
    }

    @Test
    void fullRankOpenWakeWordHeadRunsExactlyLikeTheOriginal() throws InterruptedException {
        ModelProto alexa = OnnxModels.read(TestData.openWakeWord("alexa_v0.1.onnx"));
        CompressionResult r = compress(alexa, FULL_RANK);

        assertThat(r.layers()).hasSize(3).allMatch(LayerReport::factorized);
        assertThat(maxAbsDiff(alexa, r.compressed(), null)).isLessThanOrEqualTo(1e-4);
        assertSameInterface(alexa, r.compressed());
    }

    @Test
    void fullRankPaddleOcrClassifierRunsExactlyLikeTheOriginal() throws InterruptedException {
        ModelProto cls = OnnxModels.read(TestData.paddleCls());
        CompressionResult r = compress(cls, FULL_RANK);

        List<LayerReport> factorized = r.layers().stream().filter(LayerReport::factorized).toList();
        assertThat(factorized).hasSizeGreaterThan(40);
        assertThat(maxAbsDiff(cls, r.compressed(), new long[] {3, 48, 192})).isLessThanOrEqualTo(1e-4);
        assertSameInterface(cls, r.compressed());
        // weights were Constant nodes: the factors are initializers and the dead Constants are gone
        ModelSummary before = ModelInspector.inspect(cls);
        ModelSummary after = ModelInspector.inspect(r.compressed());
        assertThat(after.operatorCounts().get("Constant"))
                .isEqualTo(before.operatorCounts().get("Constant") - factorized.size());
        assertThat(after.operatorCounts().get("Conv")).isEqualTo(before.operatorCounts().get("Conv")
                + (int) factorized.stream().filter(l -> l.opType().equals("Conv")).count());
        assertThat(r.compressed().getGraph().getInitializerCount()).isEqualTo(2 * factorized.size());
    }

    @Test
    void fullRankCnnWithBiasAndMatMulClassifierIsExact() throws InterruptedException {
        ModelProto cnn = OnnxModelBuilder.cnn(11, 12, 6, 3, 8, 16);
        CompressionResult r = compress(cnn, FULL_RANK);
        assertThat(r.layers()).extracting(LayerReport::opType).containsExactly("Conv", "Conv", "MatMul");
        assertThat(maxAbsDiff(cnn, r.compressed(), null)).isLessThanOrEqualTo(1e-4);
    }

    @Test
    void fullRankTokenModelWithThreeDimensionalMatMulsIsExact() throws InterruptedException {
        ModelProto tokens = OnnxModelBuilder.tokenModel(4, 1000, 24, 32, 16);
        CompressionResult r = compress(tokens, FULL_RANK);
        assertThat(r.layers()).extracting(LayerReport::opType).containsExactly("MatMul", "MatMul");
        assertThat(r.layers()).allMatch(LayerReport::factorized);
        assertThat(maxAbsDiff(tokens, r.compressed(), new long[] {7})).isLessThanOrEqualTo(1e-4);
        assertThat(maxAbsDiff(tokens, compress(tokens, Map.of("rank", 4, "skipFirstAndLast", false)).compressed(),
                new long[] {7})).isGreaterThan(1e-3);
    }

    @Test
    void gemmWithTransAAlphaBetaAndWithoutBiasIsExact() throws InterruptedException {
        SplittableRandom rnd = new SplittableRandom(5);
        // y1 = 0.5 · (xᵀ)ᵀ·W + 2·C  (transA = 1 on a transposed input, W stored in×out); y = y1·Vᵀ, no bias
        ModelProto model = new OnnxModelBuilder("gemm-variants", 13).input("x", -1, 10)
                .node("Transpose", List.of("x"), List.of("xt"), OnnxModelBuilder.ints("perm", 1, 0))
                .initializer("w", OnnxModelBuilder.randomWeights(rnd, 10 * 7, 10), 10, 7)
                .initializer("c", OnnxModelBuilder.randomWeights(rnd, 7, 1), 7)
                .initializer("v", OnnxModelBuilder.randomWeights(rnd, 7 * 4, 7), 4, 7)
                .node("Gemm", List.of("xt", "w", "c"), List.of("y1"), integer("transA", 1), real("alpha", 0.5f),
                        real("beta", 2f))
                .node("Gemm", List.of("y1", "v"), List.of("y"), integer("transB", 1))
                .output("y", -1, 4).build();
        CompressionResult r = compress(model, FULL_RANK);
        assertThat(r.layers()).allMatch(LayerReport::factorized);
        assertThat(maxAbsDiff(model, r.compressed(), null)).isLessThanOrEqualTo(1e-4);
        assertThat(r.compressed().getGraph().getNodeList()).extracting(NodeProto::getOpType)
                .containsExactly("Transpose", "Transpose", "MatMul", "Gemm", "MatMul", "MatMul");
    }

    @Test
    void reducedRankShrinksTheAlexaHeadAndItStillRuns() throws Exception {
        Path original = TestData.openWakeWord("alexa_v0.1.onnx");
        ModelProto alexa = OnnxModels.read(original);
        CompressionResult r = compress(alexa, Map.of()); // default energy

        LayerReport first = r.layers().get(0);
        assertThat(first.factorized()).isTrue();
        assertThat(first.originalRank()).isEqualTo(128);
        assertThat(first.finalRank()).isLessThan(128);
        assertThat(first.parametersAfter()).isEqualTo(first.finalRank() * (128 + 1536));
        assertThat(r.layers().get(2).factorized()).isFalse(); // the classifier, skipped by default
        assertThat(ModelInspector.inspect(r.compressed()).parameters()).isLessThan(ModelInspector.inspect(alexa).parameters());

        Path out = dir.resolve("alexa-svd.onnx");
        OnnxModels.write(r.compressed(), out);
        assertThat(Files.size(out)).isLessThan(Files.size(original));
        ModelProto reread = OnnxModels.read(out);
        OutputAgreement a = Evaluator.compare(alexa, reread, Optional.empty(), EvaluationOptions.defaults());
        assertThat(a.meanCosine()).isGreaterThan(0.99);
    }

    @Test
    void outputErrorFallsAsEnergyRises() throws InterruptedException {
        ModelProto cls = OnnxModels.read(TestData.paddleCls());
        double previous = Double.MAX_VALUE;
        long previousParams = 0;
        for (double energy : new double[] {0.8, 0.9, 0.95}) {
            CompressionResult r = compress(cls, Map.of("energy", energy));
            long params = ModelInspector.inspect(r.compressed()).parameters();
            assertThat(params).isLessThan(ModelInspector.inspect(cls).parameters());
            assertThat(params).isGreaterThan(previousParams);
            double error = Evaluator.compare(cls, r.compressed(), Optional.empty(),
                    EvaluationOptions.defaults().withSampleShape(3, 48, 192).withBatchSize(16)).meanRelativeError();
            assertThat(error).isLessThan(previous).isPositive();
            previous = error;
            previousParams = params;
        }
    }

    @Test
    void ratioAndExplicitLayersChooseWhatIsFactorized() throws InterruptedException {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(3, 64, 64, 64, 10);
        CompressionResult ratio = compress(mlp, Map.of("ratio", 0.25));
        LayerReport l0 = ratio.layers().get(0);
        assertThat(l0.finalRank()).isEqualTo(8); // 0.25 · 64·64 / 128
        assertThat(l0.parametersAfter()).isEqualTo(8 * 128).isLessThanOrEqualTo(l0.parametersBefore() / 4);
        assertThat(ratio.layers().get(2).factorized()).isFalse();

        CompressionResult named = compress(mlp, Map.of("rank", 4, "layers", List.of("gemm_4")));
        assertThat(named.layers()).extracting(LayerReport::factorized).containsExactly(false, false, true);
        assertThat(named.layers().get(2).finalRank()).isEqualTo(4);
    }

    @Test
    void aParameterBudgetSetsTheRanksOfAllLayersAtOnce() throws InterruptedException {
        // PaddleOCR's classifier: 53 convs with unequal spectra, so one common cut-off gives unequal ranks
        ModelProto cls = OnnxModels.read(TestData.paddleCls());
        long before = ModelInspector.inspect(cls).parameters();
        long target = before * 3 / 4;
        CompressionResult r = compress(cls, Map.of("targetParameters", target));
        long after = ModelInspector.inspect(r.compressed()).parameters();
        System.out.printf("svd targetParameters %d on PaddleOCR cls (%d): %d, %d of %d layers factorized%n", target,
                before, after, r.layers().stream().filter(LayerReport::factorized).count(), r.layers().size());
        assertThat(after).isLessThanOrEqualTo(target).isGreaterThan(target * 97 / 100);
        assertThat(r.layers().stream().filter(LayerReport::factorized).map(LayerReport::finalRank).distinct().count())
                .isGreaterThan(3);
        // the reported layer sizes add up to the measured model
        long reportedChange = r.layers().stream().mapToLong(l -> l.parametersBefore() - l.parametersAfter()).sum();
        assertThat(before - reportedChange).isEqualTo(after);
        // and a smaller budget keeps less of every layer
        CompressionResult smaller = compress(cls, Map.of("targetParameters", before / 2));
        for (int i = 0; i < r.layers().size(); i++) {
            assertThat(smaller.layers().get(i).parametersAfter()).isLessThanOrEqualTo(r.layers().get(i).parametersAfter());
        }
    }

    @Test
    void aBudgetBelowWhatRankOneGivesIsRefusedWithTheFloor() {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(3, 64, 64, 64, 10);
        ModelSummary summary = ModelInspector.inspect(mlp);
        // biases 64+64+10, the classifier 640 (skipped), and rank 1 of the other two: 128 each
        long floor = 64 + 64 + 10 + 640 + 128 + 128;
        assertThatThrownBy(() -> svd.validate(Map.of("targetParameters", floor - 1), summary))
                .hasMessageContaining("targetParameters " + (floor - 1) + " is below the smallest model svd can make here: "
                        + floor);
        svd.validate(Map.of("targetParameters", floor), summary);
        assertThatThrownBy(() -> svd.validate(Map.of("targetParameters", 2.5), summary))
                .hasMessageContaining("targetParameters must be an integer ≥ 1, got 2.5");
        assertThatThrownBy(() -> svd.validate(Map.of("targetParameters", 5000, "ratio", 0.5), summary))
                .hasMessageContaining("give only one of");
    }

    @Test
    void skipsTheFirstConvAndLayersThatWouldNotShrink() throws InterruptedException {
        ModelProto cnn = OnnxModelBuilder.cnn(2, 8, 4, 3, 32, 32);
        CompressionResult r = compress(cnn, Map.of("energy", 1.0));
        assertThat(r.layers().get(0).factorized()).isFalse();
        assertThat(r.layers().get(0).note()).contains("first convolution");
        // 32×288 at (almost) full rank 32 needs 32·320 > 9216 parameters
        assertThat(r.layers().get(1).factorized()).isFalse();
        assertThat(r.layers().get(1).note()).contains("would not shrink");
        assertThat(r.compressed()).isEqualTo(cnn);
    }

    @Test
    void rejectsBadParametersListingEveryProblem() {
        ModelSummary summary = ModelInspector.inspect(OnnxModelBuilder.gemmMlp(1, 8, 8, 2));
        Map<String, Object> bad = new HashMap<>();
        bad.put("rank", -3);
        bad.put("energy", 1.5);
        bad.put("layers", List.of("gemm_0", "nope"));
        bad.put("colour", "blue");
        assertThatThrownBy(() -> svd.validate(bad, summary))
                .isInstanceOfSatisfying(InvalidParametersException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "unknown parameter 'colour'; svd takes energy, ratio, rank, targetParameters, maxAccuracyDrop, targetSpeedup, layers, skipFirstAndLast, onlyIfSmaller, whitening, calibrationSamples, sensitivitySamples, outputAware, onlyIfFaster, timingBatchSize, convForm, fineTune, fineTuneBy",
                        "give only one of energy, ratio, rank, targetParameters, maxAccuracyDrop and targetSpeedup, not energy and rank",
                        "energy must be a number in (0, 1], got 1.5",
                        "rank must be an integer ≥ 1, got -3",
                        "unknown layer 'nope'; factorizable layers are [gemm_0, gemm_2]"));
        assertThatThrownBy(() -> svd.validate(Map.of("ratio", 0), summary)).hasMessageContaining("ratio must be");
        assertThatThrownBy(() -> svd.validate(Map.of("rank", 2.5), summary)).hasMessageContaining("rank must be an integer ≥ 1, got 2.5");
        assertThatThrownBy(() -> svd.validate(Map.of("skipFirstAndLast", "maybe"), summary))
                .hasMessageContaining("true or false");
        svd.validate(Map.of("energy", 1, "layers", "gemm_0, gemm_2"), summary);
        assertThatThrownBy(() -> svd.validate(Map.of("fineTuneBy", "vibes"), summary))
                .hasMessageContaining("fineTuneBy must be one of [distillation, labels], got vibes");
        svd.validate(Map.of("fineTune", true, "fineTuneBy", "labels"), summary);
        assertThatThrownBy(() -> svd.validate(Map.of("whitening", "sideways", "calibrationSamples", 0), summary))
                .isInstanceOfSatisfying(InvalidParametersException.class, e -> assertThat(e.problems())
                        .containsExactlyInAnyOrder(
                                "whitening must be one of [auto, none, parallel, sequential], got sideways",
                                "calibrationSamples must be an integer in [1, 100000], got 0"));
        assertThatThrownBy(() -> svd.validate(Map.of("calibrationSamples", 100_001), summary))
                .hasMessageContaining("calibrationSamples must be an integer in [1, 100000], got 100001");
        svd.validate(Map.of("whitening", "Sequential", "calibrationSamples", 64), summary);
        assertThatThrownBy(() -> svd.validate(Map.of("onlyIfFaster", "sometimes", "timingBatchSize", 0), summary))
                .isInstanceOfSatisfying(InvalidParametersException.class, e -> assertThat(e.problems())
                        .containsExactlyInAnyOrder("onlyIfFaster must be true or false, got sometimes",
                                "timingBatchSize must be an integer in [1, 1024], got 0"));
        assertThatThrownBy(() -> svd.validate(Map.of("timingBatchSize", 1025), summary))
                .hasMessageContaining("timingBatchSize must be an integer in [1, 1024], got 1025");
        svd.validate(Map.of("onlyIfFaster", true, "timingBatchSize", 8), summary);
    }

    @Test
    void onlyIfFasterNeverKeepsALayerThatTimesSlowerThanItsDenseForm() throws InterruptedException {
        // gemm_0 (1024→1024) at rank 4 does 1/128 of the work; gemm_4 (16→16) at rank 4 is smaller too, but two
        // 16-wide products cost more than one
        ModelProto mlp = OnnxModelBuilder.gemmMlp(3, 1024, 1024, 16, 16, 4);
        CompressionResult r = svd.compress(new CompressionTask(mlp, Map.of("rank", 4, "layers", List.of("gemm_0",
                "gemm_4"), "onlyIfFaster", true, "timingBatchSize", 32), Optional.empty(), Optional.empty()),
                ProgressListener.NONE);

        LayerReport big = r.layers().stream().filter(l -> l.node().equals("gemm_0")).findFirst().orElseThrow();
        LayerReport small = r.layers().stream().filter(l -> l.node().equals("gemm_4")).findFirst().orElseThrow();
        assertThat(big.factorized()).isTrue();
        assertThat(big.note()).contains("timed in ONNX Runtime (1 thread) at", "batch 32", "batch 1");
        assertThat(small.factorized()).as(small.note()).isFalse();
        assertThat(small.note()).startsWith("left dense: rank 4 of 16").endsWith(", not faster");
        assertThat(small.parametersAfter()).isEqualTo(small.parametersBefore());
        // every factorized layer's measured ratio is below 1 at both batch sizes
        for (LayerReport l : r.layers()) {
            if (l.factorized()) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("at ([0-9.]+)x .* and ([0-9.]+)x at batch 1")
                        .matcher(l.note());
                assertThat(m.find()).as(l.note()).isTrue();
                assertThat(Double.parseDouble(m.group(1))).isLessThan(1);
                assertThat(Double.parseDouble(m.group(2))).isLessThan(1);
            }
        }
        // without the check the small layer is factorized, since it shrinks
        CompressionResult unchecked = svd.compress(new CompressionTask(mlp, Map.of("rank", 4, "layers",
                List.of("gemm_0", "gemm_4"), "onlyIfFaster", false), Optional.empty(), Optional.empty()),
                ProgressListener.NONE);
        assertThat(unchecked.layers()).filteredOn(LayerReport::factorized).extracting(LayerReport::node)
                .containsExactly("gemm_0", "gemm_4");
    }

    private static CompressionResult compressWith(FixedSpeedCheck speed, ModelProto model, Map<String, Object> params)
            throws InterruptedException {
        return new TruncatedSvdMethod(speed.factory()).compress(new CompressionTask(model, params, Optional.empty(),
                Optional.empty()), ProgressListener.NONE);
    }

    @Test
    void byDefaultALayerJudgedSlowerIsKeptDenseAndOnlyIfFasterFalseOptsOut() throws InterruptedException {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(5, 64, 64, 64, 64, 10);
        FixedSpeedCheck speed = new FixedSpeedCheck(Set.of("gemm_2"), true);
        // onlyIfFaster not given: the check is on, at the default timing batch of 32
        CompressionResult r = compressWith(speed, mlp, Map.of("rank", 4));

        assertThat(speed.batchSizes).containsExactly(32);
        assertThat(speed.layersAsked).containsExactly("gemm_0", "gemm_2", "gemm_4"); // not the skipped classifier
        assertThat(r.layers()).extracting(LayerReport::factorized).containsExactly(true, false, true, false);
        LayerReport slow = r.layers().get(1);
        assertThat(slow.note()).startsWith("left dense: rank 4 of 64").contains("judged slower by the test")
                .endsWith(", not faster");
        assertThat(slow.finalRank()).isEqualTo(64);
        assertThat(slow.parametersAfter()).isEqualTo(slow.parametersBefore());
        assertThat(r.layers().get(0).note()).contains("judged faster by the test");
        // the model kept is the one timed as a whole: gemm_2 still reads its dense weight
        assertThat(speed.modelsAsked).containsExactly(r.compressed());
        assertThat(initializerNames(r.compressed())).contains("w1").doesNotContain("w0", "w2");
        assertThat(maxAbsDiff(mlp, r.compressed(), null)).isPositive();

        // opting out: every chosen layer that shrinks is factorized, and nothing is timed
        FixedSpeedCheck unused = new FixedSpeedCheck(Set.of("gemm_0", "gemm_2", "gemm_4"), false);
        CompressionResult all = compressWith(unused, mlp, Map.of("rank", 4, "onlyIfFaster", false));
        assertThat(all.layers()).extracting(LayerReport::factorized).containsExactly(true, true, true, false);
        assertThat(unused.batchSizes).isEmpty();
        assertThat(unused.layersAsked).isEmpty();
        assertThat(unused.modelsAsked).isEmpty();

        // the method alone (no parameters) is timed too, at the given timing batch when one is given
        FixedSpeedCheck methodOnly = new FixedSpeedCheck(Set.of(), true);
        compressWith(methodOnly, OnnxModels.read(TestData.openWakeWord("alexa_v0.1.onnx")), Map.of());
        assertThat(methodOnly.batchSizes).containsExactly(32);
        assertThat(methodOnly.layersAsked).isNotEmpty();
        FixedSpeedCheck batch8 = new FixedSpeedCheck(Set.of(), true);
        compressWith(batch8, mlp, Map.of("rank", 4, "timingBatchSize", 8));
        assertThat(batch8.batchSizes).containsExactly(8);
    }

    @Test
    void aFactorizedModelNotFasterAsAWholeIsReturnedUnchanged() throws InterruptedException {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(5, 64, 64, 64, 64, 10);
        List<Double> fractions = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        List<String> metrics = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void progress(double fraction, String message) {
                fractions.add(fraction);
                messages.add(message);
            }

            @Override
            public void metric(String name, long step, double value) {
                metrics.add(name);
            }
        };
        FixedSpeedCheck speed = new FixedSpeedCheck(Set.of(), false); // each layer faster alone, the whole model not
        CompressionResult r = new TruncatedSvdMethod(speed.factory()).compress(new CompressionTask(mlp,
                Map.of("rank", 4), Optional.empty(), Optional.empty()), listener);

        assertThat(speed.modelsAsked).hasSize(1);
        assertThat(r.compressed()).isEqualTo(mlp);
        assertThat(r.layers()).noneMatch(LayerReport::factorized);
        for (LayerReport l : r.layers().subList(0, 3)) {
            assertThat(l.note()).startsWith("left dense: rank 4 of 64").contains("judged faster by the test",
                    "the whole model judged slower by the test, not faster, so every layer was left dense");
            assertThat(l.finalRank()).isEqualTo(l.originalRank());
            assertThat(l.parametersAfter()).isEqualTo(l.parametersBefore());
        }
        assertThat(r.curves()).isEmpty();
        assertThat(metrics).noneMatch(m -> m.startsWith("rank:"));
        assertThat(messages.get(messages.size() - 1)).startsWith("no layer factorized")
                .endsWith("the model is returned as it was");
        assertThat(fractions).isSorted().last().isEqualTo(1.0);

        // a parameter budget asks for a size: nothing is timed, whatever onlyIfFaster says
        FixedSpeedCheck budget = new FixedSpeedCheck(Set.of("gemm_0", "gemm_2", "gemm_4"), false);
        CompressionResult sized = compressWith(budget, mlp, Map.of("targetParameters",
                ModelInspector.inspect(mlp).parameters() / 2, "onlyIfFaster", true));
        assertThat(budget.batchSizes).isEmpty();
        assertThat(sized.layers()).filteredOn(LayerReport::factorized).isNotEmpty();
    }

    @Test
    void whiteningNeedsTrainingDataWhereItIsAskedFor() {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(1, 8, 8, 2);
        ModelSummary summary = ModelInspector.inspect(mlp);
        for (String asked : List.of("parallel", "sequential")) {
            assertThatThrownBy(() -> svd.check(Map.of("whitening", asked), mlp, summary, false))
                    .isInstanceOfSatisfying(InvalidParametersException.class, e -> assertThat(e.problems())
                            .containsExactly("whitening '" + asked + "' calibrates on the job's training dataset, "
                                    + "and the job has none: give trainDatasetId, or whitening 'none' (or 'auto', "
                                    + "which whitens only when there is data)"));
            svd.check(Map.of("whitening", asked), mlp, summary, true);
        }
        // auto without data is plain svd, and is not refused
        svd.check(Map.of(), mlp, summary, false);
    }

    @Test
    void registryListsSvd() {
        assertThat(CompressionMethods.get("svd")).isInstanceOf(TruncatedSvdMethod.class);
        assertThat(CompressionMethods.all()).extracting(m -> m.descriptor().name()).contains("svd");
        assertThatThrownBy(() -> CompressionMethods.get("magic")).hasMessageContaining("available: svd");
    }

    @Test
    void cancelledRunThrowsInterrupted() {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(1, 8, 8, 2);
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> compress(mlp, FULL_RANK)).isInstanceOf(InterruptedException.class);
    }

    /** What svd makes of the model without timing it (onlyIfFaster false unless given), so the layers it picks are fixed. */
    private CompressionResult compress(ModelProto model, Map<String, Object> params) throws InterruptedException {
        Map<String, Object> untimed = new HashMap<>(params);
        untimed.putIfAbsent("onlyIfFaster", false);
        return svd.compress(new CompressionTask(model, untimed, Optional.empty(), Optional.empty()), ProgressListener.NONE);
    }

    private static double maxAbsDiff(ModelProto a, ModelProto b, long[] sampleShape) {
        EvaluationOptions options = EvaluationOptions.defaults().withBatchSize(8);
        if (sampleShape != null) {
            options = options.withSampleShape(sampleShape);
        }
        return Evaluator.compare(a, b, Optional.empty(), options).maxAbsDiff();
    }

    private static void assertSameInterface(ModelProto original, ModelProto compressed) {
        assertThat(compressed.getIrVersion()).isEqualTo(original.getIrVersion());
        assertThat(compressed.getOpsetImportList()).isEqualTo(original.getOpsetImportList());
        assertThat(compressed.getGraph().getInputList()).isEqualTo(original.getGraph().getInputList());
        assertThat(compressed.getGraph().getOutputList()).isEqualTo(original.getGraph().getOutputList());
    }

    private static List<String> initializerNames(ModelProto m) {
        return m.getGraph().getInitializerList().stream().map(TensorProto::getName).toList();
    }
}
