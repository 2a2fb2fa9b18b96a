package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OutputErrorRanksTest {

    private static final int WIDTH = 32;

    /** A layer of 32×32 whose i-th singular value is 0.9^i (the same spectrum for every layer made here). */
    private static LayerTruncation layer() {
        double[] sigma = new double[WIDTH];
        for (int i = 0; i < WIDTH; i++) {
            sigma[i] = Math.pow(0.9, i);
        }
        // no model is built from these: the stand-in measurements never ask for one
        return new LayerTruncation(WIDTH, WIDTH, sigma, true, "output energy", r -> null);
    }

    @Test
    void aLayerWhoseErrorReachesTheOutputMoreKeepsMoreRankWithinTheSameBudget() {
        List<LayerTruncation> layers = List.of(layer(), layer());
        long budget = 20L * 2 * WIDTH; // rank 20 in all, between the two

        int[] even = OutputErrorRanks.allocate(layers, new double[] {1, 1}, budget);
        int[] weighted = OutputErrorRanks.allocate(layers, new double[] {100, 1}, budget);

        assertThat(even[0]).isEqualTo(even[1]);
        assertThat(weighted[0]).isGreaterThan(weighted[1]);
        for (int[] ranks : List.of(even, weighted)) {
            assertThat(cost(layers, ranks)).isLessThanOrEqualTo(budget);
        }
        // s·σ² per parameter equal at the cut: 100·0.81^r₀ ≈ 0.81^r₁, so r₀ − r₁ ≈ log(100)/log(1/0.81) ≈ 22,
        // less where the heavier layer reaches its break-even rank (16: rank 16 and more cost it 1,024 dense)
        assertThat(weighted[0] - weighted[1]).isGreaterThanOrEqualTo(10);
    }

    @Test
    void theStartingRanksStayWhereTheWeightedOnesMeasureNoCloser() throws InterruptedException {
        List<LayerTruncation> layers = List.of(layer(), layer());
        int[] start = {10, 10};
        long budget = 20L * 2 * WIDTH;
        AtomicInteger calls = new AtomicInteger();
        // first call: each layer alone, then the starting ranks together (error 0.2); second: the weighted ranks
        OutputErrorRanks.OutputErrors worse = candidates -> calls.getAndIncrement() == 0
                ? new double[] {0.5, 0.005, 0.2} : new double[] {0.3};
        OutputErrorRanks.Choice kept = OutputErrorRanks.choose(null, layers, start, budget, worse, 64,
                ProgressListener.NONE);
        assertThat(kept.ranks()).containsExactly(start);
        assertThat(kept.weighted()).isFalse();
        assertThat(kept.summary()).contains("measured no closer");

        calls.set(0);
        OutputErrorRanks.OutputErrors better = candidates -> calls.getAndIncrement() == 0
                ? new double[] {0.5, 0.005, 0.2} : new double[] {0.1};
        OutputErrorRanks.Choice moved = OutputErrorRanks.choose(null, layers, start, budget, better, 64,
                ProgressListener.NONE);
        assertThat(moved.weighted()).isTrue();
        assertThat(moved.ranks()[0]).isGreaterThan(moved.ranks()[1]);
        // weight = the output's error over the layer's own at its probe rank (its starting rank, 10)
        double own = 1 - layers.get(0).energyAt(10);
        assertThat(moved.weights()[0]).isCloseTo(0.5 / own, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(moved.summary()).contains("relative output error 0.1000 against 0.2000");
    }

    /**
     * y = x·A + 0.05·(x·B): the same shape and the same kind of weights, but B's error reaches the output damped
     * twentyfold. Whitened svd under a parameter budget measures that and gives A the rank, where equal relative
     * error in every layer would cut both alike; in ONNX Runtime, on samples it did not calibrate on, the result is
     * closer to the original than the same budget at equal ranks.
     */
    @Test
    void whitenedSvdUnderABudgetGivesTheRankToTheLayerWhoseErrorReachesTheOutput() throws InterruptedException {
        SplittableRandom random = new SplittableRandom(3);
        ModelProto model = new OnnxModelBuilder("damped", 13)
                .input("x", -1, WIDTH)
                .initializer("A", OnnxModelBuilder.randomWeights(random, WIDTH * WIDTH, WIDTH), WIDTH, WIDTH)
                .initializer("B", OnnxModelBuilder.randomWeights(random, WIDTH * WIDTH, WIDTH), WIDTH, WIDTH)
                .initializer("damping", new float[] {0.05f})
                .namedNode("a", "MatMul", List.of("x", "A"), List.of("xa"))
                .namedNode("b", "MatMul", List.of("x", "B"), List.of("xb"))
                .node("Mul", List.of("xb", "damping"), List.of("xb_damped"))
                .node("Add", List.of("xa", "xb_damped"), List.of("y"))
                .output("y", -1, WIDTH)
                .build();
        Dataset train = correlatedInputs(512, 11);
        Dataset heldOut = correlatedInputs(256, 12);
        long target = ModelInspector.inspect(model).parameters() / 2;

        CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(model, Map.of(
                "targetParameters", target, "whitening", "parallel", "skipFirstAndLast", false,
                "calibrationSamples", 512), Optional.of(train), Optional.empty()), ProgressListener.NONE);

        LayerReport a = report(r, "a");
        LayerReport b = report(r, "b");
        assertThat(a.finalRank()).as(a.note()).isGreaterThan(b.finalRank() + 4);
        assertThat(a.note()).contains("its error reaches the output ×");
        assertThat(ModelInspector.inspect(r.compressed()).parameters()).isLessThanOrEqualTo(target);

        int even = (int) Math.min(a.finalRank(), b.finalRank())
                + (int) Math.abs(a.finalRank() - b.finalRank()) / 2; // the same budget, split evenly
        CompressionResult equal = new TruncatedSvdMethod().compress(new CompressionTask(model, Map.of(
                "rank", even, "whitening", "parallel", "skipFirstAndLast", false, "calibrationSamples", 512,
                "onlyIfFaster", false), Optional.of(train), Optional.empty()), ProgressListener.NONE);
        EvaluationOptions options = EvaluationOptions.defaults().withBatchSize(64);
        double weightedError = Evaluator.compare(model, r.compressed(), Optional.of(heldOut), options)
                .meanRelativeError();
        double equalError = Evaluator.compare(model, equal.compressed(), Optional.of(heldOut), options)
                .meanRelativeError();
        assertThat(weightedError).isLessThan(0.8 * equalError);
    }

    private static LayerReport report(CompressionResult r, String node) {
        return r.layers().stream().filter(l -> l.node().equals(node)).findFirst().orElseThrow();
    }

    /** Samples x = z·M with z standard normal and M of falling scales, so each layer's whitened spectrum falls off. */
    static Dataset correlatedInputs(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        SplittableRandom mixing = new SplittableRandom(99);
        double[][] m = new double[WIDTH][WIDTH];
        for (int i = 0; i < WIDTH; i++) {
            for (int j = 0; j < WIDTH; j++) {
                m[i][j] = Math.pow(0.85, i) * (mixing.nextDouble() * 2 - 1);
            }
        }
        float[] features = new float[n * WIDTH];
        for (int s = 0; s < n; s++) {
            double[] z = new double[WIDTH];
            for (int i = 0; i < WIDTH; i++) {
                z[i] = gaussian(random);
            }
            for (int j = 0; j < WIDTH; j++) {
                double v = 0;
                for (int i = 0; i < WIDTH; i++) {
                    v += z[i] * m[i][j];
                }
                features[s * WIDTH + j] = (float) v;
            }
        }
        return new Dataset("correlated", new long[] {WIDTH}, features, null, 0);
    }

    private static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    private static long cost(List<LayerTruncation> layers, int[] ranks) {
        List<RankBudget.Layer> budget = new ArrayList<>();
        for (LayerTruncation l : layers) {
            budget.add(new RankBudget.Layer(l.singularValues(), l.rows(), l.cols(), l.fullRank()));
        }
        return RankBudget.cost(budget, ranks);
    }
}
