package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.testing.OnnxModelBuilder;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each method's parameters are defined once ({@link MethodParameter}: name, type, default, range, choices), listed by
 * {@code GET /v1/methods} and read by the method's parser through that definition. This holds every method to it:
 * for every parameter it lists, the parser knows the name, takes the listed default, and refuses a value outside
 * the listed range or choices; a name it does not list is refused.
 */
class MethodParametersAgreeTest {

    @Test
    void everyDescribedParameterIsTheOneTheParserReads() throws Exception {
        Map<String, ModelSummary> models = Map.of(
                "dense", ModelInspector.inspect(OnnxModelBuilder.gemmMlp(3, 64, 32, 64, 10)),
                "conv", ModelInspector.inspect(OnnxModelBuilder.cnn(3, 16, 10, 8, 16)),
                "bilinear", ModelInspector.inspect(bilinear()));
        List<String> checked = new ArrayList<>();
        for (CompressionMethod method : CompressionMethods.all()) {
            MethodDescriptor d = method.descriptor();
            ModelSummary model = models.values().stream().filter(m -> accepts(method, Map.of(), m)).findFirst()
                    .orElseThrow(() -> new AssertionError(d.name() + " takes none of the test models"));

            assertThatThrownBy(() -> method.validate(Map.of("notAParameter", 1), model)).as(d.name())
                    .isInstanceOf(InvalidParametersException.class).hasMessageContaining("notAParameter");
            for (MethodParameter p : d.parameters()) {
                String what = d.name() + "." + p.name();
                if (p.defaultValue() != null) {
                    assertThatCode(() -> method.validate(Map.of(p.name(), p.defaultValue()), model))
                            .as("%s at its described default %s", what, p.defaultValue()).doesNotThrowAnyException();
                }
                boolean integer = p.type() == MethodParameter.Type.INTEGER;
                if (p.minimum() != null) {
                    double below = p.exclusiveMinimum() ? p.minimum().doubleValue()
                            : p.minimum().doubleValue() - (integer ? 1 : 1e-6);
                    assertThatThrownBy(() -> method.validate(Map.of(p.name(), integer ? (Object) (long) below
                            : (Object) below), model)).as("%s below its described minimum %s", what, p.minimum())
                            .isInstanceOf(InvalidParametersException.class).hasMessageContaining(p.name());
                }
                if (p.maximum() != null) {
                    double above = p.exclusiveMaximum() ? p.maximum().doubleValue()
                            : p.maximum().doubleValue() + (integer ? 1 : 1e-6);
                    assertThatThrownBy(() -> method.validate(Map.of(p.name(), integer ? (Object) (long) above
                            : (Object) above), model)).as("%s above its described maximum %s", what, p.maximum())
                            .isInstanceOf(InvalidParametersException.class).hasMessageContaining(p.name());
                }
                if (!p.choices().isEmpty()) {
                    assertThatThrownBy(() -> method.validate(Map.of(p.name(), "none-of-" + p.choices()), model))
                            .as("%s not one of %s", what, p.choices())
                            .isInstanceOf(InvalidParametersException.class).hasMessageContaining(p.name());
                }
                checked.add(what);
            }
        }
        assertThat(checked).hasSizeGreaterThan(40);
    }

    private static boolean accepts(CompressionMethod method, Map<String, Object> parameters, ModelSummary model) {
        try {
            method.validate(parameters, model);
            return true;
        } catch (InvalidParametersException e) {
            return false;
        }
    }

    private static io.caas.engine.onnx.proto.Onnx.ModelProto bilinear() throws Exception {
        try (InputStream in = MethodParametersAgreeTest.class.getResourceAsStream(
                "/bilinear-matmul/mulsum-opset11.onnx")) {
            return OnnxModels.read(in);
        }
    }
}
