package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Name lists as requests send them: repeated names refused, many unknown ones answered in one bounded problem. */
class ParameterValuesTest {

    private final ModelSummary mlp = ModelInspector.inspect(OnnxModelBuilder.gemmMlp(1, 20, 16, 8, 4));

    @Test
    void aNameGivenTwiceIsAProblemNamingIt() {
        List<String> problems = new ArrayList<>();
        ParameterValues.nameList(List.of("gemm_0", "gemm_1", "gemm_0", "gemm_0"), "layers", "layer", problems);
        assertThat(problems).containsExactly("layers names 'gemm_0' more than once; name each layer once");

        problems.clear();
        ParameterValues.nameList("gemm_0, gemm_1", "layers", "layer", problems);
        assertThat(problems).isEmpty();
    }

    @Test
    void twentyThousandUnknownLayersAreOneProblemOfBoundedLength() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            names.add("nope_" + i);
        }
        names.add("gemm_0");
        List<String> problems = new ArrayList<>();
        assertThat(ParameterValues.layerNames(names, mlp, "svd", problems)).hasSize(20_001);
        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).startsWith("unknown layers 'nope_0', 'nope_1'").contains("and 19990 more")
                .contains("factorizable layers are [gemm_0").hasSizeLessThan(400);
    }

    @Test
    void aHugeNameIsQuotedCutShort() {
        List<String> problems = new ArrayList<>();
        ParameterValues.layerNames(List.of("x".repeat(1_000_000)), mlp, "svd", problems);
        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).hasSizeLessThan(500).contains("1000000 characters");
    }

    /**
     * A model of one LSTM and nothing else: its input weights W are a recurrent layer that svd and oialr take (R is
     * not listed: it stays dense), so neither refuses the model, and a request may name the layer.
     */
    @org.junit.jupiter.api.Test
    void anLstmsInputWeightsAreALayerForSvdAndOialr() {
        java.util.Random rnd = new java.util.Random(1);
        var g = io.caas.engine.onnx.proto.Onnx.GraphProto.newBuilder().setName("lstm")
                .addNode(io.caas.engine.runtime.TinyModels.node("LSTM", new String[] {"x", "W", "R"},
                        new String[] {"y"}, io.caas.engine.runtime.TinyModels.intAttr("hidden_size", 2)))
                .addInitializer(io.caas.engine.runtime.TinyModels.floats("W", rnd, 1, 8, 3))
                .addInitializer(io.caas.engine.runtime.TinyModels.floats("R", rnd, 1, 8, 2))
                .addInput(io.caas.engine.runtime.TinyModels.floatTensor("x", 4, 1, 3))
                .addOutput(io.caas.engine.runtime.TinyModels.floatTensor("y", 4, 1, 1, 2)).build();
        var summary = io.caas.engine.onnx.ModelInspector.inspect(io.caas.engine.runtime.TinyModels.model(g, 14));
        assertThat(summary.parameters()).isEqualTo(24 + 16);
        assertThat(summary.layers()).singleElement().satisfies(layer -> {
            assertThat(layer.kind()).isEqualTo(io.caas.engine.onnx.LayerKind.RECURRENT);
            assertThat(layer.weight()).isEqualTo("W");
            assertThat(layer.parameters()).isEqualTo(24);
            assertThat(layer.matrixShape()).containsExactly(8, 3);
        });
        String node = summary.layers().get(0).node();
        assertThatCode(() -> new io.caas.engine.compress.svd.TruncatedSvdMethod()
                .validate(Map.of("layers", List.of(node)), summary)).doesNotThrowAnyException();
        assertThatCode(() -> new io.caas.engine.compress.oialr.OialrMethod()
                .validate(Map.of("layers", List.of(node)), summary)).doesNotThrowAnyException();
        // a method for Gemm, MatMul and Conv alone names it as a layer it cannot take
        List<String> problems = new ArrayList<>();
        ParameterValues.layerNames(List.of(node), summary, "ldr", problems);
        assertThat(problems).singleElement().asString().contains("cannot be factorized by ldr");
    }
}
