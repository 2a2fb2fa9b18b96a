package io.caas.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.caas.service.support.Api;
import io.caas.service.support.H2ServiceTest;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
