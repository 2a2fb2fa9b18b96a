package io.caas.engine.compress.oialr;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * oialr's accuracy bound: what training cost is measured before the model is returned, and the original comes back
 * where it cost more than the bound (2 points by default, or the request's maxAccuracyDrop).
 */
class OialrAccuracyBoundTest {

    private static final ModelProto MLP = OnnxModelBuilder.gemmMlp(3, 20, 16, 8, 4);
    /** A rate that wrecks the model in a few steps. */
    private static final TrainingBudget RECKLESS = new TrainingBudget(null, 8L, 16, 5.0);

    @Test
    void aTrainedModelThatLostMoreThanTheBoundIsNotReturned() throws InterruptedException {
        Dataset data = labelledByTheModel(256);
        List<String> messages = new ArrayList<>();
        CompressionResult r = new OialrMethod().compress(new CompressionTask(MLP, Map.of("onlyIfFaster", false),
                Optional.of(data), Optional.empty(), RECKLESS), (f, m) -> messages.add(m));

        assertThat(r.compressed()).isSameAs(MLP);
        assertThat(r.layers()).noneMatch(LayerReport::factorized);
        assertThat(r.layers().subList(0, 2)).allSatisfy(l -> assertThat(l.note())
                .startsWith("trained, then returned as it was: top-1").contains("at most 2.00 allowed"));
        assertThat(messages.get(messages.size() - 1)).contains("the original is returned unchanged");

        // a bound the request sets is the bound: here it allows anything, so the trained model comes back
        CompressionResult asked = new OialrMethod().compress(new CompressionTask(MLP, Map.of("onlyIfFaster", false,
                "maxAccuracyDrop", 1.0), Optional.of(data), Optional.empty(), RECKLESS), (f, m) -> { });
        assertThat(asked.compressed()).isNotSameAs(MLP);
        // and a size the request names asks for what it costs: no default bound
        CompressionResult cut = new OialrMethod().compress(new CompressionTask(MLP, Map.of("onlyIfFaster", false,
                "sigmaCutoff", 0.5), Optional.of(data), Optional.empty(), RECKLESS), (f, m) -> { });
        assertThat(cut.compressed()).isNotSameAs(MLP);
    }

    @Test
    void aJobsAccuracyTargetBecomesTheBoundUnlessTheRequestSetsIt() {
        OialrMethod oialr = new OialrMethod();
        assertThat(oialr.withAccuracyBudget(Map.of(), 0.01)).contains(Map.of("maxAccuracyDrop", 0.01));
        assertThat(oialr.withAccuracyBudget(Map.of("maxAccuracyDrop", 0.05), 0.01)).isEmpty();
        var summary = io.caas.engine.onnx.ModelInspector.inspect(MLP);
        for (Object bad : new Object[] {1.5, 0, "a lot"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> oialr.validate(Map.of("maxAccuracyDrop", bad),
                    summary)).hasMessageContaining("maxAccuracyDrop must be a number in (0, 1], got " + bad);
        }
    }

    /** Random inputs labelled by the model's own predictions, so it scores 1.0 on them. */
    private static Dataset labelledByTheModel(int n) {
        SplittableRandom r = new SplittableRandom(4);
        float[] x = new float[n * 20];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int[] labels = new int[n];
        try (ModelRunner runner = new ModelRunner(MLP, 1, new long[] {20}, List.of())) {
            float[][] y = runner.run(x, 0, n);
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int k = 1; k < 4; k++) {
                    if (y[i][k] > y[i][best]) {
                        best = k;
                    }
                }
                labels[i] = best;
            }
        }
        return new Dataset("self-labelled", new long[] {20}, x, labels, 4);
    }
}
