package io.caas.service.method;

import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.MethodParameter;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.BooleanSchema;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.NumberSchema;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document's schema of each method's parameters ({@code <Method>Parameters}), derived from the same
 * descriptors as {@code GET /v1/methods} and the methods' own checks (MethodParametersAgreeTest holds those two
 * together), so the contract types a job request's {@code parameters} per method instead of as any object.
 */
@Configuration(proxyBeanMethods = false)
class MethodParameterSchemas {

    private static final String JOB_REQUEST = "JobRequest";

    @Bean
    OpenApiCustomizer parametersPerMethod(MethodCatalog catalog) {
        return api -> {
            List<Schema> each = new ArrayList<>();
            for (MethodDescriptor d : catalog.descriptors()) {
                String name = schemaName(d.name());
                api.getComponents().addSchemas(name, schemaOf(d));
                each.add(new Schema<>().$ref("#/components/schemas/" + name));
            }
            parametersOfTheJobRequest(api, each);
        };
    }

    static String schemaName(String method) {
        return Character.toUpperCase(method.charAt(0)) + method.substring(1) + "Parameters";
    }

    @SuppressWarnings("rawtypes")
    private static Schema schemaOf(MethodDescriptor d) {
        ObjectSchema schema = new ObjectSchema();
        schema.description("The parameters of method '" + d.name() + "' (" + d.title() + "); every one optional, "
                + "its default used where left out.");
        schema.additionalProperties(false);
        for (MethodParameter p : d.parameters()) {
            schema.addProperty(p.name(), propertyOf(p));
        }
        return schema;
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static Schema propertyOf(MethodParameter p) {
        Schema s = switch (p.type()) {
            case INTEGER -> new IntegerSchema().format("int64");
            case NUMBER -> new NumberSchema();
            case BOOLEAN -> new BooleanSchema();
            case STRING_LIST -> new ArraySchema().items(new StringSchema());
            case OBJECT -> new ObjectSchema();
            case STRING -> new StringSchema();
        };
        // OpenAPI 3.1 (JSON Schema 2020-12): an open bound is exclusiveMinimum/-Maximum holding the bound itself
        if (p.minimum() != null && p.exclusiveMinimum()) {
            s.exclusiveMinimumValue(new BigDecimal(p.minimum().toString()));
        } else if (p.minimum() != null) {
            s.minimum(new BigDecimal(p.minimum().toString()));
        }
        if (p.maximum() != null && p.exclusiveMaximum()) {
            s.exclusiveMaximumValue(new BigDecimal(p.maximum().toString()));
        } else if (p.maximum() != null) {
            s.maximum(new BigDecimal(p.maximum().toString()));
        }
        if (!p.choices().isEmpty()) {
            s.setEnum(new ArrayList<>(p.choices()));
        }
        if (p.defaultValue() != null) {
            s.setDefault(p.defaultValue());
        }
        s.description(p.source() == null ? p.description() : p.description() + " (Default's source: " + p.source()
                + ".)");
        return s;
    }

    /** A job request's parameters: those of the method it names, one of these schemas. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static void parametersOfTheJobRequest(OpenAPI api, List<Schema> each) {
        Schema request = api.getComponents().getSchemas() == null ? null
                : api.getComponents().getSchemas().get(JOB_REQUEST);
        if (request == null || request.getProperties() == null) {
            return;
        }
        request.getProperties().put("parameters", new Schema<>().anyOf(each).description("The parameters of the "
                + "method named in 'method': the schema <Method>Parameters of that method (GET /v1/methods lists the "
                + "same, with where each default comes from)."));
    }
}
