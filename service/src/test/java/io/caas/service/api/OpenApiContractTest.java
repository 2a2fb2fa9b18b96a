package io.caas.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.caas.service.support.Api;
import io.caas.service.support.H2ServiceTest;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * api-spec/openapi.yaml is the contract users code against; it must be exactly what the running service serves.
 * When the API changes on purpose, the test writes the served document to target/openapi.yaml: review the diff
 * and copy it over the contract.
 */
class OpenApiContractTest extends H2ServiceTest {

    @Test
    void theCommittedContractIsWhatTheServiceServes() throws Exception {
        Path contract = Path.of(System.getProperty("caas.api-spec", "../api-spec/openapi.yaml"));
        Api.Response served = new Api(port).get("/v3/api-docs.yaml");
        assertThat(served.status()).isEqualTo(200);
        Files.write(Path.of("target", "openapi.yaml"), served.body());

        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode servedTree = yaml.readTree(served.body());
        JsonNode contractTree = yaml.readTree(contract.toFile());

        assertThat(servedTree.get("openapi").asText()).startsWith("3.1");
        assertThat(servedTree.get("paths").fieldNames()).toIterable().contains(
                "/v1/models", "/v1/models/{id}", "/v1/models/{id}/content", "/v1/datasets", "/v1/datasets/{id}",
                "/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/events", "/v1/jobs/{id}/cancel",
                "/v1/jobs/{id}/artifact", "/v1/jobs/{id}/report", "/v1/methods");
        assertThat(servedTree)
                .as("served OpenAPI differs from %s; the served one is in service/target/openapi.yaml", contract)
                .isEqualTo(contractTree);
    }

    /**
     * The contract is a valid OpenAPI document, as a client generator reads it: swagger-parser finds no error, and
     * every reference names a schema the document holds.
     */
    @Test
    void theContractIsAValidOpenApiDocumentWhoseReferencesAllResolve() throws Exception {
        Path contract = Path.of(System.getProperty("caas.api-spec", "../api-spec/openapi.yaml"));
        String text = Files.readString(contract);
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(text, null, options);
        assertThat(parsed.getMessages()).as("swagger-parser's messages").isEmpty();
        assertThat(parsed.getOpenAPI()).isNotNull();

        JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(text);
        Set<String> schemas = new TreeSet<>();
        tree.path("components").path("schemas").fieldNames().forEachRemaining(schemas::add);
        Set<String> referenced = new TreeSet<>();
        collectReferences(tree, referenced);
        assertThat(referenced).as("schemas referred to").isNotEmpty();
        assertThat(schemas).as("the schemas the document holds").containsAll(referenced);
        assertThat(schemas).as("no server-side type described as if it crossed the wire").doesNotContain("SseEmitter");
        assertThat(tree.at("/paths/~1v1~1jobs~1{id}~1events/get/responses/200/content/text~1event-stream/schema/type")
                .asText()).isEqualTo("string");
        // a job request's parameters are typed per method, from the descriptors GET /v1/methods lists
        JsonNode perMethod = tree.at("/components/schemas/JobRequest/properties/parameters/anyOf");
        assertThat(perMethod).extracting(r -> r.get("$ref").asText()).contains(
                "#/components/schemas/SvdParameters", "#/components/schemas/OialrParameters",
                "#/components/schemas/TiedParameters");
        JsonNode energy = tree.at("/components/schemas/SvdParameters/properties/energy");
        assertThat(energy.get("type").asText()).isEqualTo("number");
        assertThat(energy.get("default").asDouble()).isEqualTo(0.95);
        // an open bound and a closed one, as svd reads them: energy 0 is refused, 1 taken
        assertThat(energy.get("exclusiveMinimum").asDouble()).isZero();
        assertThat(energy.get("maximum").asDouble()).isEqualTo(1.0);
        assertThat(tree.at("/components/schemas/SvdParameters/properties/whitening/enum"))
                .extracting(JsonNode::asText).containsExactly("auto", "none", "parallel", "sequential");
        assertThat(tree.at("/components/schemas/OialrParameters/additionalProperties").asBoolean(true)).isFalse();
    }

    private static void collectReferences(JsonNode node, Set<String> into) {
        if (node.isObject()) {
            JsonNode ref = node.get("$ref");
            if (ref != null && ref.isTextual() && ref.asText().startsWith("#/components/schemas/")) {
                into.add(ref.asText().substring("#/components/schemas/".length()));
            }
            node.elements().forEachRemaining(child -> collectReferences(child, into));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(child -> collectReferences(child, into));
        }
    }
}
