package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * ldr under a whole-model parameter budget, on the Fashion-MNIST MLP 784-256-128-10 (sizes do not depend on the
 * weights' values, so the model is not trained): the rank chosen is the largest that fits.
 */
class LdrBudgetTest {

    private static final ModelProto MLP = FashionMnistModels.mlp(3, 256, 128);
    private static final ModelSummary SUMMARY = ModelInspector.inspect(MLP);

    @Test
    void theLargestDisplacementRankWithinTheBudgetIsChosen() throws Exception {
        long target = SUMMARY.parameters() / 10;
        CompressionResult budgeted = compress(Map.of("targetParameters", target));
        long size = ModelInspector.inspect(budgeted.compressed()).parameters();
        int rank = (int) budgeted.layers().get(0).finalRank();
        System.out.printf("ldr targetParameters %d of %d: rank %d, %d parameters%n", target, SUMMARY.parameters(),
                rank, size);
        assertThat(size).isLessThanOrEqualTo(target);
        assertThat(rank).isGreaterThan(1);
        assertThat(budgeted.layers().get(0).note()).contains("chosen for targetParameters " + target);
        // the same model at the chosen rank, given directly, and at the next one, which would not fit
        assertThat(ModelInspector.inspect(compress(Map.of("displacementRank", rank)).compressed()).parameters())
                .isEqualTo(size);
        assertThat(ModelInspector.inspect(compress(Map.of("displacementRank", rank + 1)).compressed()).parameters())
                .isGreaterThan(target);
    }

    @Test
    void aBudgetBelowRankOneIsRefusedWithTheFloorAndTheCirculantSize() {
        // rank 1: 784 padded to 4 blocks of 256 and 2 blocks of 128, 2·n per block, plus the rest of the model
        long floor = SUMMARY.parameters() - 784L * 256 - 256L * 128 + 4 * 2 * 256 + 2 * 2 * 128;
        long circulant = SUMMARY.parameters() - 784L * 256 - 256L * 128 + 4 * 256 + 2 * 128;
        assertThatThrownBy(() -> new LdrMethod().validate(Map.of("targetParameters", floor - 1), SUMMARY))
                .isInstanceOf(InvalidParametersException.class)
                .hasMessageContaining("targetParameters " + (floor - 1) + " is below the smallest model ldr can make "
                        + "here with toeplitz-like blocks: " + floor)
                .hasMessageContaining("structure circulant would give " + circulant);
        new LdrMethod().validate(Map.of("targetParameters", floor), SUMMARY);
    }

    @Test
    void theBudgetIsNotCombinedWithARankOrACirculantStructure() {
        assertThatThrownBy(() -> new LdrMethod().validate(Map.of("targetParameters", 50_000, "displacementRank", 2),
                SUMMARY)).hasMessageContaining("targetParameters chooses the displacement rank");
        assertThatThrownBy(() -> new LdrMethod().validate(Map.of("targetParameters", 50_000, "structure",
                "circulant"), SUMMARY)).hasMessageContaining("targetParameters chooses the displacement rank");
    }

    @Test
    void aJobTargetBecomesTheBudgetUnlessTheSizeIsChosen() {
        LdrMethod ldr = new LdrMethod();
        assertThat(ldr.withParameterBudget(Map.of("fineTune", false), 50_000))
                .contains(Map.of("fineTune", false, "targetParameters", 50_000L));
        assertThat(ldr.withParameterBudget(Map.of("displacementRank", 3), 50_000)).isEmpty();
        assertThat(ldr.withParameterBudget(Map.of("structure", "circulant"), 50_000)).isEmpty();
    }

    private static CompressionResult compress(Map<String, Object> params) throws InterruptedException {
        return new LdrMethod().compress(new CompressionTask(MLP, params, Optional.empty(), Optional.empty()),
                ProgressListener.NONE);
    }
}
