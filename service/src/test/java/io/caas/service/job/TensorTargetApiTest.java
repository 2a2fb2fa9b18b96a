package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.service.support.Api;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.TestMaterial;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * A job's target.compressionRatio steers tucker, cp and tt through their whole-model parameter budget, as it does
 * svd's: on PaddleOCR's real PP-OCRv4 detector (four 3×3 convs over 96 channels decomposed by default, about 7 %
 * of its parameters) the job runs with targetParameters, ends at or under the target, and a ratio below what the
 * smallest ranks reach is refused at submission.
 */
class TensorTargetApiTest extends H2ServiceTest {

    static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

    @Test
    void aTargetCompressionRatioSetsTheTensorMethodsParameterBudget() throws Exception {
        byte[] detector = Files.readAllBytes(TestMaterial.file("paddleocr/package/assets/ch_PP-OCRv4_det_infer.onnx"));
        String model = api.postRaw("/v1/models?name=ppocr-det", detector, MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        long before = api.get("/v1/models/" + model).json().get("parameters").asLong();

        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "tucker",
                "parameters", Map.of("sensitivitySamples", 0), "target", Map.of("compressionRatio", 0.96)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        long budget = (long) Math.floor(0.96 * before);
        assertThat(submitted.json().get("parameters").get("targetParameters").asLong()).isEqualTo(budget);
        String id = submitted.json().get("id").asText();
        JsonNode job = api.awaitJob(id, Duration.ofMinutes(3), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        double ratio = job.get("result").get("compressionRatio").asDouble();
        System.out.printf("tucker on the PP-OCRv4 detector via REST, target 0.96: %d -> %d parameters, ratio %.4f%n",
                before, job.get("result").get("parametersAfter").asLong(), ratio);
        assertThat(job.get("result").get("parametersAfter").asLong()).isLessThanOrEqualTo(budget);
        assertThat(ratio).isLessThanOrEqualTo(0.96).isGreaterThan(0.955);
        assertThat(job.get("result").get("targetMet").asBoolean()).isTrue();
        JsonNode layers = api.get("/v1/jobs/" + id + "/report").json().get("layers");
        long budgeted = 0;
        for (JsonNode l : layers) {
            if (l.get("factorized").asBoolean()) {
                assertThat(l.get("note").asText()).contains("the largest common ratio within targetParameters "
                        + budget);
                budgeted++;
            }
        }
        assertThat(budgeted).isEqualTo(4);

        // a size the user chose wins over the target, which is then only checked
        Api.Response own = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "cp",
                "parameters", Map.of("ratio", 0.5, "sensitivitySamples", 0),
                "target", Map.of("compressionRatio", 0.96)));
        assertThat(own.status()).isEqualTo(201);
        assertThat(own.json().get("parameters").has("targetParameters")).isFalse();
        api.awaitJob(own.json().get("id").asText(), Duration.ofMinutes(3), FINAL);

        // the decomposed convs are too small a share for 0.9: refused up front, with the smallest size there is
        Api.Response unreachable = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "cp",
                "target", Map.of("compressionRatio", 0.9)));
        assertThat(unreachable.status()).isEqualTo(422);
        assertThat(unreachable.json().get("errors").toString())
                .contains("below the smallest model cp can make here");
    }
}
