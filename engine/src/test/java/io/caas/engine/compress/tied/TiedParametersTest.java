package io.caas.engine.compress.tied;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.MethodParameter;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parameter checking lists every problem; pairs are found (or not) by the graph's structure alone. */
class TiedParametersTest {

    private final ModelProto bottleneck = FashionMnistModels.mlp(1, 128, 512, 128);

    @Test
    void everyProblemIsListed() {
        Map<String, Object> bad = Map.of("init", "median", "fineTune", "perhaps", "trainOnlyTied", 3,
                "pairs", List.of("gemm_3", "nope"), "rank", 4);
        assertThatThrownBy(() -> TiedParameters.parse(bad, ModelInspector.inspect(bottleneck),
                PairFinder.find(bottleneck)))
                .isInstanceOfSatisfying(InvalidParametersException.class, e -> assertThat(e.problems())
                        .hasSize(5).anySatisfy(p -> assertThat(p).contains("init").contains("average, first, second"))
                        .anySatisfy(p -> assertThat(p).contains("fineTune"))
                        .anySatisfy(p -> assertThat(p).contains("trainOnlyTied"))
                        .anySatisfy(p -> assertThat(p).contains("'nope'").contains("gemm_3+gemm_5"))
                        .anySatisfy(p -> assertThat(p).contains("unknown parameter 'rank'")));
        // request validation sees only the summary: layer names are still checked
        assertThatThrownBy(() -> CompressionMethods.get("tied").validate(Map.of("pairs", "gemm_3+nope"),
                ModelInspector.inspect(bottleneck))).hasMessageContaining("'nope'");
    }

    @Test
    void pairsAreChosenByFirstLayerOrFullName() {
        TiedParameters p = TiedParameters.parse(Map.of("pairs", "gemm_3", "init", "second"),
                ModelInspector.inspect(bottleneck), PairFinder.find(bottleneck));
        assertThat(p.pairs()).extracting(TiedPair::name).containsExactly("gemm_3+gemm_5");
        assertThat(p.init()).isEqualTo(TiedInit.SECOND);
        assertThat(p.fineTune()).isTrue();
    }

    @Test
    void aModelWithoutABottleneckHasNoPairs() {
        // 784→256→128→10: no layer maps back to its input size
        ModelProto plain = FashionMnistModels.mlp(1, 256, 128);
        assertThat(PairFinder.find(plain)).isEmpty();
        assertThatThrownBy(() -> TiedParameters.parse(Map.of(), ModelInspector.inspect(plain),
                PairFinder.find(plain))).hasMessageContaining("no layer pair d→h→d");
        // the summary alone cannot tell (three dense layers), the method's check on the graph does, before any work
        CompressionMethod tied = CompressionMethods.get("tied");
        tied.validate(Map.of(), ModelInspector.inspect(plain));
        assertThatThrownBy(() -> tied.check(Map.of(), plain, ModelInspector.inspect(plain), false))
                .isInstanceOf(InvalidParametersException.class).hasMessageContaining("no layer pair d→h→d");
        tied.check(Map.of(), bottleneck, ModelInspector.inspect(bottleneck), false);
        // a residual-free chain 784→128→512→128→512→10 pairs each layer once, in node order
        assertThat(PairFinder.find(FashionMnistModels.mlp(1, 128, 512, 128, 512))).extracting(TiedPair::name)
                .containsExactly("gemm_3+gemm_5");
    }

    @Test
    void descriptorDocumentsEveryParameterWithItsDefault() {
        List<MethodParameter> params = CompressionMethods.get("tied").descriptor().parameters();
        assertThat(params).extracting(MethodParameter::name)
                .containsExactly("pairs", "init", "fineTune", "trainOnlyTied");
        assertThat(params).filteredOn(p -> !p.name().equals("pairs"))
                .allSatisfy(p -> assertThat(p.defaultValue()).isNotNull());
    }
}
