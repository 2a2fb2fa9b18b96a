package io.caas.engine.compress.tied;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The model page lists tied only for the layers a pair can hold: dense layers and 1×1 convs, never a 3×3 conv. */
class TiedListingTest {

    private final TiedMethod tied = new TiedMethod();

    @Test
    void aThreeByThreeConvIsNotOfferedTiedADenseLayerAndAOneByOneConvAre() {
        List<WeightedLayer> layers = ModelInspector.inspect(OnnxModelBuilder.cnn(3, 8, 4, 3, 8, 8)).layers();
        assertThat(layers).filteredOn(l -> l.kind() == LayerKind.CONV).isNotEmpty()
                .allSatisfy(conv -> assertThat(tied.appliesTo(conv)).as(conv.node()).isFalse());
        assertThat(layers).filteredOn(l -> l.kind() == LayerKind.DENSE).isNotEmpty()
                .allSatisfy(dense -> assertThat(tied.appliesTo(dense)).as(dense.node()).isTrue());

        SplittableRandom r = new SplittableRandom(1);
        WeightedLayer pointwise = ModelInspector.inspect(new OnnxModelBuilder("pointwise", 13).input("x", -1, 8, 4, 4)
                .initializer("w", OnnxModelBuilder.randomWeights(r, 16 * 8, 8), 16, 8, 1, 1)
                .node("Conv", List.of("x", "w"), List.of("y"), OnnxModelBuilder.ints("kernel_shape", 1, 1))
                .output("y").build()).layers().get(0);
        assertThat(tied.appliesTo(pointwise)).isTrue();
    }
}
