package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.support.Api;
import io.caas.service.support.TestTenants;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.TestMaterial;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

class JobEventStreamTest extends H2ServiceTest {

    @Test
    void aStreamFollowsAJobUntilItEndsAndThenCloses() throws Exception {
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        String model = api.postRaw("/v1/models", bytes, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String id = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd")).json().get("id").asText();

        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/jobs/" + id + "/events"))
                .header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + TestTenants.sharedKey(port)).timeout(Duration.ofSeconds(90)).build();
        HttpResponse<java.io.InputStream> response = HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");

        List<String> names = new ArrayList<>();
        List<String> data = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            // readLine returns null only when the server ends the stream, which it must do once the job is over
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("event:")) {
                    names.add(line.substring(6).trim());
                } else if (line.startsWith("data:")) {
                    data.add(line.substring(5).trim());
                }
            }
        }
        assertThat(names).contains("state", "progress");
        assertThat(data.get(0)).contains("\"queued\"");
        assertThat(data.get(data.size() - 1)).contains("\"succeeded\"");
        // the JSON list of the same log still answers plain requests
        assertThat(api.get("/v1/jobs/" + id + "/events").json().get("items").size()).isEqualTo(data.size());
    }
}
