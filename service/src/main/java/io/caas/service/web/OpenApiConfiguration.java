package io.caas.service.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The served OpenAPI document. api-spec/openapi.yaml is the committed contract; OpenApiContractTest keeps the two
 * equal, so a change to the API shows up as a change to that file in review.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    private static final String PROBLEM = "Problem";
    private static final String BEARER = "bearer";

    @Bean
    OpenAPI caasOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Compression as a service").version("v1")
                        .description("Upload an ONNX model, submit a compression job, poll it, download the smaller "
                                + "model and its measurements. Every error is application/problem+json (RFC 9457). "
                                + "Every /v1 call takes 'Authorization: Bearer <API key>'; a key sees only its "
                                + "tenant's models, datasets and jobs (others' ids answer 404).")
                        .license(new License().name("Apache-2.0")))
                .components(new Components().addSchemas(PROBLEM, problemSchema())
                        .addSecuritySchemes(BEARER, new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                                .description("A tenant's API key for /v1; the admin token for /v1/admin and the "
                                        + "actuator; the metrics token for /actuator/prometheus")))
                .addSecurityItem(new SecurityRequirement().addList(BEARER));
    }

    /** Every operation can fail with a problem document; saying it once here keeps the controllers readable. */
    @Bean
    OpenApiCustomizer problemResponses() {
        return api -> {
            api.setServers(null);
            api.getPaths().values().forEach(path -> path.readOperations().forEach(op -> {
                op.getResponses().addApiResponse("4XX", problem("The request cannot be served; see the problem detail"));
                op.getResponses().addApiResponse("5XX", problem("The service failed; the detail carries a reference"));
            }));
        };
    }

    private static ApiResponse problem(String description) {
        return new ApiResponse().description(description).content(new Content().addMediaType("application/problem+json",
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
    }

    @SuppressWarnings("rawtypes")
    private static Schema problemSchema() {
        return new ObjectSchema()
                .description("RFC 9457 problem details; 'errors' lists every problem of an invalid request")
                .addProperty("type", new StringSchema().description("problem type URI, e.g. urn:caas:problem:not-found"))
                .addProperty("title", new StringSchema())
                .addProperty("status", new IntegerSchema())
                .addProperty("detail", new StringSchema())
                .addProperty("instance", new StringSchema())
                .addProperty("errors", new io.swagger.v3.oas.models.media.ArraySchema().items(new StringSchema()))
                .addProperty("limitBytes", new IntegerSchema().format("int64"))
                .addProperty("operators", new io.swagger.v3.oas.models.media.ArraySchema().items(new StringSchema()))
                .addProperty("reference", new StringSchema())
                .addProperty("limit", new IntegerSchema().description("the limit that was reached (too-many-jobs)"));
    }
}
