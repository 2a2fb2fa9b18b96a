package io.caas.service.api;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
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
import java.util.Set;
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
    private static final String EVENT_STREAM = "text/event-stream";

    @Bean
    OpenAPI caasOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Compression as a service").version("v1")
                        .description("Upload an ONNX model, submit a compression job, poll it, download the smaller "
                                + "model and its measurements. Every error is application/problem+json (RFC 9457). "
                                + "Every /v1 call takes 'Authorization: Bearer <API key>'; a key sees only its "
                                + "tenant's models, datasets and jobs (others' ids answer 404).")
                        .license(new License().name("Apache-2.0").identifier("Apache-2.0")))
                .components(new Components()
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
            api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
                boundsResponses(path, method, op);
                op.getResponses().addApiResponse("4XX", problem("The request cannot be served; see the problem detail"));
                op.getResponses().addApiResponse("5XX", problem("The service failed; the detail carries a reference"));
            }));
            // springdoc builds the components from the controllers' types after the OpenAPI bean: the schema every
            // problem response refers to is added here, where those references are made
            api.getComponents().addSchemas(PROBLEM, problemSchema());
            eventStreamAsText(api);
        };
    }

    /**
     * The live events answer text/event-stream, which springdoc describes by the controller's return type
     * (SseEmitter, a server-side object): described instead as what arrives on the wire.
     */
    private static void eventStreamAsText(io.swagger.v3.oas.models.OpenAPI api) {
        PathItem events = api.getPaths().get("/v1/jobs/{id}/events");
        ApiResponse ok = events == null || events.getGet() == null ? null : events.getGet().getResponses().get("200");
        if (ok == null || ok.getContent() == null || !ok.getContent().containsKey(EVENT_STREAM)) {
            return;
        }
        ok.getContent().put(EVENT_STREAM, new MediaType().schema(new StringSchema().description("Server-sent events "
                + "(text/event-stream): each event's 'event' field is the event type, 'id' its id (send it back as "
                + "Last-Event-ID to resume), 'data' the event as JSON, as in the application/json answer's items; "
                + "comment lines keep the connection alive")));
        if (api.getComponents().getSchemas() != null) {
            api.getComponents().getSchemas().remove("SseEmitter");
        }
    }

    /** The answers of the request bounds (README, "Trust"), on the operations they apply to. */
    private static void boundsResponses(String path, PathItem.HttpMethod method, Operation op) {
        Set<String> bodyTypes = op.getRequestBody() == null || op.getRequestBody().getContent() == null ? Set.of()
                : op.getRequestBody().getContent().keySet();
        if (bodyTypes.contains("application/json")) {
            op.getResponses().addApiResponse("413", problem("The JSON body is over caas.limits.max-json-bytes "
                    + "(request-too-large; limitBytes is the limit)"));
        }
        if (!bodyTypes.isEmpty()) {
            op.getResponses().addApiResponse("408", problem("The body arrived slower than "
                    + "caas.limits.min-request-bytes-per-second over a window of waiting for it (request-timeout; "
                    + "minimumBytesPerSecond is the minimum); the connection is closed"));
        }
        String cap = null;
        if (bodyTypes.contains("multipart/form-data") || bodyTypes.contains("application/octet-stream")) {
            cap = "this API key or the service has as many uploads in progress as allowed (too-many-uploads)";
        } else if (path.equals("/v1/jobs/{id}/events") && method == PathItem.HttpMethod.GET) {
            cap = "for an event stream, this API key or the service has as many streams open as allowed "
                    + "(too-many-streams)";
        }
        if (cap != null) {
            // Every /v1 operation can also answer 429 rate-limited (under 4XX); these add a cap of their own.
            op.getResponses().addApiResponse("429", problem("Refused: " + cap + "; or too many requests for this "
                    + "API key, or too many invalid tokens from this address (rate-limited). Retry-After says when "
                    + "to try again").addHeaderObject("Retry-After", new Header().description("seconds to wait")
                    .schema(new IntegerSchema())));
        }
    }

    private static ApiResponse problem(String description) {
        return new ApiResponse().description(description).content(new Content().addMediaType("application/problem+json",
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
    }

    @SuppressWarnings("rawtypes")
    private static Schema problemSchema() {
        return new ObjectSchema()
                .description("RFC 9457 problem details; 'errors' lists the problems of an invalid request, at most 100, "
                        + "and 'errorsOmitted' counts the rest")
                .addProperty("type", new StringSchema().description("problem type URI, e.g. urn:caas:problem:not-found"))
                .addProperty("title", new StringSchema())
                .addProperty("status", new IntegerSchema())
                .addProperty("detail", new StringSchema())
                .addProperty("instance", new StringSchema())
                .addProperty("errors", new io.swagger.v3.oas.models.media.ArraySchema().items(new StringSchema()))
                .addProperty("errorsOmitted", new IntegerSchema()
                        .description("problems of the request not listed in 'errors' (present only when there are)"))
                .addProperty("limitBytes", new IntegerSchema().format("int64"))
                .addProperty("operators", new io.swagger.v3.oas.models.media.ArraySchema().items(new StringSchema()))
                .addProperty("reference", new StringSchema())
                .addProperty("minimumBytesPerSecond", new IntegerSchema().format("int64")
                        .description("the pace a request body must keep (request-timeout)"))
                .addProperty("limit", new IntegerSchema().description("the limit that was reached (too-many-jobs, "
                        + "too-many-uploads, too-many-streams)"));
    }
}
