package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.WeightedLayer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LayerSelectionTest {

    @Test
    void aSmallInputProjectionIsKeptLikeAFirstConvolution() {
        // a Transformer encoder classifier over image rows: 28→128 input projection, attention and feed-forward
        List<WeightedLayer> transformer = List.of(dense("in_proj", 28, 128), dense("qkv", 128, 384),
                dense("out", 128, 128), dense("ff1", 128, 256), dense("ff2", 256, 128), dense("fc", 128, 10));
        LayerSelection selection = LayerSelection.of(transformer, Set.of(), true);
        assertThat(selection.skipReason(transformer.get(0), "kept dense"))
                .isEqualTo("first layer, an input projection with 2.6 % of the parameters, kept dense "
                        + "(skipFirstAndLast)");
        assertThat(selection.skipReason(transformer.get(1), "kept dense")).isNull();
        assertThat(selection.skipReason(transformer.get(5), "kept dense")).startsWith("last layer");
        assertThat(LayerSelection.of(transformer, Set.of(), false).skipReason(transformer.get(0), "kept dense"))
                .isNull();
    }

    @Test
    void anMlpsFirstLayerHoldsMostOfItAndStaysEligible() {
        List<WeightedLayer> mlp = List.of(dense("fc0", 784, 512), dense("fc1", 512, 256), dense("fc2", 256, 10));
        LayerSelection selection = LayerSelection.of(mlp, Set.of(), true);
        assertThat(selection.skipReason(mlp.get(0), "kept dense")).isNull();
        assertThat(selection.skipReason(mlp.get(2), "kept dense")).startsWith("last layer");
    }

    @Test
    void withAConvolutionTheFirstConvolutionIsTheOneKept() {
        List<WeightedLayer> cnn = List.of(dense("small_dense", 4, 4),
                new WeightedLayer("conv", "Conv", LayerKind.CONV, "conv.w", List.of(32L, 16L, 3L, 3L), 4608),
                dense("fc", 1568, 128), dense("out", 128, 10));
        LayerSelection selection = LayerSelection.of(cnn, Set.of(), true);
        assertThat(selection.skipReason(cnn.get(0), "kept dense")).isNull();
        assertThat(selection.skipReason(cnn.get(1), "kept dense")).startsWith("first convolution");
    }

    private static WeightedLayer dense(String name, long in, long out) {
        return new WeightedLayer(name, "MatMul", LayerKind.DENSE, name + ".w", List.of(in, out), in * out);
    }
}
