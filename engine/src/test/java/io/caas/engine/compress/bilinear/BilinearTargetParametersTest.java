package io.caas.engine.compress.bilinear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FusionModels;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A whole-model parameter budget for bilinear on the Fashion-MNIST fusion model trained on real data (one 32×32×32
 * bilinear layer between two 392→32 encoders): the result stays at or under the budget and close to it, the note
 * names the ratio chosen, and a budget below rank 1 is refused with the smallest size.
 */
class BilinearTargetParametersTest {

    private static final BilinearMethod METHOD = new BilinearMethod();

    private static ModelProto fusion;
    private static ModelSummary summary;
    private static WeightedLayer bilinear;

    @BeforeAll
    static void train() throws InterruptedException {
        fusion = FusionModels.trained();
        summary = ModelInspector.inspect(fusion);
        bilinear = summary.layers().stream().filter(l -> l.kind() == LayerKind.BILINEAR).findFirst().orElseThrow();
    }

    @Test
    void theModelEndsAtOrJustUnderTheBudget() throws InterruptedException {
        long before = summary.parameters();
        // the bilinear layer at about a fifth of its size
        long target = before - (long) (0.8 * bilinear.parameters());

        long t0 = System.nanoTime();
        CompressionResult r = METHOD.compress(new CompressionTask(fusion, Map.of("targetParameters", target),
                Optional.empty(), Optional.empty()), ProgressListener.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long after = ModelInspector.inspect(r.compressed()).parameters();
        LayerReport layer = r.layers().stream().filter(LayerReport::factorized).findFirst().orElseThrow();
        System.out.printf("bilinear on the fusion model: %d parameters, target %d, result %d (%d under, %.2f%% of "
                        + "the layer's %d), %.1f s; %s%n", before, target, after, target - after,
                100.0 * (target - after) / bilinear.parameters(), bilinear.parameters(), seconds, layer.note());

        assertThat(after).isLessThanOrEqualTo(target);
        // one rank step is in_x + in_y + out = 96 parameters
        assertThat(target - after).isLessThan(96);
        assertThat(layer.note()).containsPattern("ratio 0\\.\\d+, the largest common ratio within targetParameters "
                + target);
    }

    @Test
    void aBudgetBelowRankOneIsRefusedNamingTheSmallestModel() {
        long[] s = bilinear.matrixShape();
        long floor = summary.parameters() - bilinear.parameters() + (s[0] + s[1] + s[2]);

        METHOD.validate(Map.of("targetParameters", floor), summary);
        assertThatThrownBy(() -> METHOD.validate(Map.of("targetParameters", floor - 1), summary))
                .isInstanceOf(InvalidParametersException.class)
                .hasMessageContaining("targetParameters " + (floor - 1) + " is below the smallest model bilinear "
                        + "can make here: " + floor + " parameters");
        assertThatThrownBy(() -> METHOD.validate(Map.of("targetParameters", floor, "rank", 4), summary))
                .isInstanceOf(InvalidParametersException.class).hasMessageContaining("give it without rank");
        assertThat(METHOD.sizeParameters()).isEqualTo(Set.of("rank", "ratio", "targetParameters"));
    }
}
