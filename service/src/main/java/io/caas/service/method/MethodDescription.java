package io.caas.service.method;

import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.MethodParameter;
import io.caas.engine.onnx.LayerKind;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Set;

/** A method as {@code GET /v1/methods} lists it: its descriptor, each parameter's type by its JSON name. */
@Schema(name = "MethodDescriptor")
record MethodDescription(String name, String title, String description, Set<LayerKind> layerKinds,
                         boolean needsTrainingData, List<Parameter> parameters) {

    static MethodDescription of(MethodDescriptor d) {
        return new MethodDescription(d.name(), d.title(), d.description(), d.layerKinds(), d.needsTrainingData(),
                d.parameters().stream().map(Parameter::of).toList());
    }

    /**
     * One parameter: the definition its method reads it by.
     *
     * @param type    integer, number, boolean, string, string[] or object
     * @param choices the values a string takes, empty for any
     */
    @Schema(name = "MethodParameter")
    record Parameter(String name, String type, Object defaultValue, Number minimum, Number maximum,
                     boolean exclusiveMinimum, boolean exclusiveMaximum, List<String> choices, String description,
                     String source) {

        static Parameter of(MethodParameter p) {
            return new Parameter(p.name(), p.type().wireName(), p.defaultValue(), p.minimum(), p.maximum(),
                    p.exclusiveMinimum(), p.exclusiveMaximum(), p.choices(), p.description(), p.source());
        }
    }
}
