package io.caas.engine.compress.oialr;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FixedSpeedCheck;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * oialr's export under its speed check (onlyIfFaster, on by default), with a verdict fixed by the test instead of
 * timed: a layer judged slower is written back dense as the product of its trained factors, so the model computes
 * what was trained either way; a model judged slower as a whole is written back dense entirely.
 */
class OialrSpeedCheckTest {

    private static final ModelProto MLP = OnnxModelBuilder.gemmMlp(3, 20, 16, 8, 4);
    private static final Dataset DATA = data();
    /** Cut hard and early, so that both trained layers end below their break-even rank. */
    private static final Map<String, Object> CUT = Map.of("frequency", 2, "sigmaCutoff", 0.95);
    private static final TrainingBudget BUDGET = new TrainingBudget(null, 4L, 16, 1e-3);

    private static Dataset data() {
        SplittableRandom r = new SplittableRandom(9);
        int n = 64;
        float[] x = new float[n * 20];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(4);
        }
        return new Dataset("random", new long[] {20}, x, y, 4);
    }

    private static OialrMethod.Outcome run(FixedSpeedCheck speed, Map<String, Object> extra)
            throws InterruptedException {
        Map<String, Object> p = new LinkedHashMap<>(CUT);
        p.putAll(extra);
        return new OialrMethod(speed.factory()).run(new CompressionTask(MLP, p, Optional.of(DATA), Optional.empty(),
                BUDGET), ProgressListener.NONE);
    }

    @Test
    void aLayerJudgedSlowerIsWrittenBackDenseByDefaultAndOnlyIfFasterFalseOptsOut() throws InterruptedException {
        FixedSpeedCheck speed = new FixedSpeedCheck(Set.of("gemm_2"), true);
        OialrMethod.Outcome out = run(speed, Map.of());

        assertThat(speed.batchSizes).containsExactly(32);
        assertThat(speed.layersAsked).containsExactly("gemm_0", "gemm_2");
        assertThat(speed.modelsAsked).hasSize(1);
        List<LayerReport> layers = out.result().layers();
        assertThat(layers).extracting(LayerReport::factorized).containsExactly(true, false, false);
        LayerReport slow = layers.get(1);
        assertThat(slow.note()).startsWith("trained to rank").contains("written back dense: judged slower by the test")
                .endsWith(", not faster");
        assertThat(slow.parametersAfter()).isEqualTo(slow.parametersBefore());
        assertThat(layers.get(0).parametersAfter()).isLessThan(layers.get(0).parametersBefore());
        assertComputesWhatWasTrained(out);

        FixedSpeedCheck unused = new FixedSpeedCheck(Set.of("gemm_0", "gemm_2"), false);
        OialrMethod.Outcome all = run(unused, Map.of("onlyIfFaster", false));
        assertThat(unused.batchSizes).isEmpty();
        assertThat(unused.layersAsked).isEmpty();
        assertThat(unused.modelsAsked).isEmpty();
        assertThat(all.result().layers()).extracting(LayerReport::factorized).containsExactly(true, true, false);
    }

    @Test
    void aModelNotFasterAsAWholeIsWrittenBackDenseAndStillComputesWhatWasTrained() throws InterruptedException {
        FixedSpeedCheck speed = new FixedSpeedCheck(false);
        OialrMethod.Outcome out = run(speed, Map.of("timingBatchSize", 8));

        assertThat(speed.batchSizes).containsExactly(8);
        assertThat(speed.modelsAsked).hasSize(1);
        assertThat(out.result().layers()).noneMatch(LayerReport::factorized);
        assertThat(out.result().layers().subList(0, 2)).allSatisfy(l -> assertThat(l.note())
                .contains("the whole model judged slower by the test, not faster, so every layer was written back dense"));
        assertThat(ModelInspector.inspect(out.result().compressed()).parameters())
                .isEqualTo(ModelInspector.inspect(MLP).parameters());
        assertThat(out.result().compressed().getGraph().getNodeCount()).isEqualTo(MLP.getGraph().getNodeCount());
        assertComputesWhatWasTrained(out);
    }

    /** The exported model's outputs are those of the trained three-factor graph, dense or not. */
    private static void assertComputesWhatWasTrained(OialrMethod.Outcome out) {
        double diff = Evaluator.compare(out.finalFactorized(), out.result().compressed(), Optional.of(DATA),
                EvaluationOptions.defaults().withBatchSize(16)).maxAbsDiff();
        assertThat(diff).isLessThan(1e-4);
    }
}
