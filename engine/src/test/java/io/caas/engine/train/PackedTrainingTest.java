package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.PackedWeights;
import io.caas.engine.testing.FashionMnistModels;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Small weights share one array (PackedWeights) and the optimizer updates neighbouring trainable ones through one
 * view of their span (TrainableParameters). FineTunerStepTest checks that this trains to the weights of updating each
 * alone; this checks the packing and the grouping themselves, and the fallback for a weight cut off its span.
 */
class PackedTrainingTest {

    @Test
    void smallWeightsAreViewsOfOneArrayAndLargeOnesStayApart() throws Exception {
        // 784-300-10: the 784x300 weight (235,200 elements) is over PackedWeights.SMALL, the others are under it.
        try (InterpretedModel m = OnnxInterpreter.load(FashionMnistModels.mlp(3, 300), Device.cpu())) {
            PackedWeights packed = m.block().packedWeights();
            List<Parameter> small = new ArrayList<>();
            for (Parameter p : m.block().weightParameters().values()) {
                OptionalInt at = packed.indexOf(p.getName());
                assertThat(at.isPresent()).as(p.getName()).isEqualTo(p.getArray().size() <= PackedWeights.SMALL);
                if (at.isPresent()) {
                    small.add(p);
                }
            }
            assertThat(small).hasSize(3);
            small.sort(Comparator.comparingInt(p -> packed.indexOf(p.getName()).getAsInt()));
            float[] before = small.get(1).getArray().toFloatArray();
            // Writing through the span is writing to the weights: they are views of it, not copies.
            try (NDArray span = packed.span(0, 3)) {
                span.addi(1f);
            }
            float[] after = small.get(1).getArray().toFloatArray();
            for (int i = 0; i < before.length; i++) {
                assertThat(after[i]).isEqualTo(before[i] + 1f);
            }
        }
    }

    @Test
    void neighbouringTrainableWeightsFormOneGroupAndAFrozenOneSplitsThem() throws Exception {
        try (InterpretedModel m = OnnxInterpreter.load(SmallCnn.build(5), Device.cpu())) {
            List<Parameter> ordered = packingOrder(m);
            assertThat(ordered).hasSize(6);
            try (TrainableParameters all = new TrainableParameters(ordered, m.block().packedWeights(), m.manager())) {
                assertThat(all.groupCount()).isEqualTo(1);
            }
            List<Parameter> withoutThird = new ArrayList<>(ordered);
            withoutThird.remove(2);
            try (TrainableParameters split = new TrainableParameters(withoutThird, m.block().packedWeights(),
                    m.manager())) {
                assertThat(split.groupCount()).isEqualTo(2);
            }
        }
    }

    @Test
    void aWeightCutOffItsSpanByAWholeArrayWriteIsStillTrained() throws Exception {
        Dataset train = FashionMnist.load("train", 20 * 16, true);
        try (InterpretedModel m = OnnxInterpreter.load(SmallCnn.build(6), Device.cpu())) {
            List<Parameter> ordered = packingOrder(m);
            Parameter cut = ordered.get(2);
            // NDArray.set(float[]) gives the array new storage: it is no longer a view of the packed span.
            float[] written = cut.getArray().toFloatArray();
            for (int i = 0; i < written.length; i++) {
                written[i] *= 0.5f;
            }
            cut.getArray().set(written);
            try (TrainableParameters params = new TrainableParameters(ordered, m.block().packedWeights(),
                    m.manager())) {
                assertThat(params.groupCount()).isEqualTo(ordered.size());
            }
            TrainingConfig cfg = TrainingConfig.adam(1e-2f, 16, 1).withMaxSteps(20)
                    .withObjective(TrainingConfig.Objective.CROSS_ENTROPY);
            FineTuner.train(m, train, null, cfg, ProgressListener.NONE);
            float[] trained = cut.getArray().toFloatArray();
            double moved = 0;
            for (int i = 0; i < trained.length; i++) {
                moved = Math.max(moved, Math.abs(trained[i] - written[i]));
            }
            assertThat(moved).isGreaterThan(1e-3);
        }
    }

    private static List<Parameter> packingOrder(InterpretedModel m) {
        PackedWeights packed = m.block().packedWeights();
        List<Parameter> ordered = new ArrayList<>(m.block().weightParameters().values());
        ordered.sort(Comparator.comparingInt(p -> packed.indexOf(p.getName()).orElseThrow()));
        return ordered;
    }
}
