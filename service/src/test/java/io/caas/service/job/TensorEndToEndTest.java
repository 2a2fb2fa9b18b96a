package io.caas.service.job;

import io.caas.engine.testing.OrtVsInterpreter;
import io.caas.service.support.TestMaterial;
import java.nio.file.Files;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.service.support.Api;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.TrainedModels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * tucker, cp and tt through the REST API on a CNN trained on real Fashion-MNIST: its 3×3 conv 8→16 becomes a chain
 * of smaller convolutions, the artifact is smaller and loads, and the report holds the per-layer figures.
 */
class TensorEndToEndTest extends H2ServiceTest {

    static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

    @Test
    void tuckerWithFineTuningThenCpAndTtShrinkTheCnn() throws Exception {
        byte[] cnn = TrainedModels.fashionCnn();
        String modelId = api.postRaw("/v1/models?name=fashion-cnn", cnn, MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        String train = api.postMultipart("/v1/datasets", "fashion-train-4000.zip",
                FashionMnistFiles.trainSplitIdxZip(4000)).json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();

        JsonNode methods = api.get("/v1/methods").json().get("items");
        List<String> names = new ArrayList<>();
        methods.forEach(m -> names.add(m.get("name").asText()));
        assertThat(names).contains("tucker", "cp", "tt");

        JsonNode tucker = run(Map.of("modelId", modelId, "method", "tucker",
                "parameters", Map.of("ratio", 0.4, "fineTune", true, "sensitivitySamples", 50),
                "trainDatasetId", train, "evalDatasetId", test,
                "budget", Map.of("maxSteps", 100, "batchSize", 64, "learningRate", 1e-3)));
        JsonNode report = assertShrunkAndLoads(tucker, cnn.length);
        assertThat(report.get("curves").has("loss")).isTrue();
        assertThat(report.get("compressed").get("top1Accuracy").asDouble()).isGreaterThan(0.5);
        JsonNode conv2 = layer(report, "conv2");
        assertThat(conv2.get("note").asText()).contains("kernel relative error").contains("accuracy drop");
        assertThat(layer(report, "conv1").get("note").asText()).contains("first convolution");

        for (String method : List.of("cp", "tt")) {
            JsonNode job = run(Map.of("modelId", modelId, "method", method,
                    "parameters", Map.of("ratio", 0.4, "sensitivitySamples", 0), "evalDatasetId", test));
            assertShrunkAndLoads(job, cnn.length);
        }
    }

    /**
     * A real exported CNN (PaddleOCR's text-direction classifier): its one 3×3 conv with several input channels
     * after the first is decomposed by each method, and the artifact runs in ONNX Runtime exactly as in the engine's
     * interpreter. No data: the kernels are fitted, not fine-tuned.
     */
    @Test
    void paddleOcrClassifierDecomposedByEachMethodRunsAlikeInOnnxRuntimeAndTheInterpreter() throws Exception {
        byte[] cls = Files.readAllBytes(TestMaterial.paddleClassifier());
        String modelId = api.postRaw("/v1/models?name=ppocr-cls", cls, MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        for (String method : List.of("tucker", "cp", "tt")) {
            JsonNode job = run(Map.of("modelId", modelId, "method", method,
                    "parameters", Map.of("ratio", 0.5, "skipFirstAndLast", false, "sensitivitySamples", 0)));
            JsonNode result = job.get("result");
            assertThat(result.get("parametersAfter").asLong()).as(method)
                    .isLessThan(result.get("parametersBefore").asLong());
            byte[] artifact = api.get("/v1/jobs/" + job.get("id").asText() + "/artifact").body();
            double diff = OrtVsInterpreter.maxAbsDiff(OnnxModels.parse(artifact), new long[] {3, 48, 192}, 2);
            System.out.printf("ppocr cls %s via REST: %d -> %d parameters, ORT vs interpreter max |diff| %.2e%n",
                    method, result.get("parametersBefore").asLong(), result.get("parametersAfter").asLong(), diff);
            assertThat(diff).as(method).isLessThan(1e-4);
        }
    }

    private JsonNode run(Map<String, Object> request) throws Exception {
        Api.Response submitted = api.postJson("/v1/jobs", request);
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        JsonNode job = api.awaitJob(submitted.json().get("id").asText(), Duration.ofMinutes(5), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        return job;
    }

    private JsonNode assertShrunkAndLoads(JsonNode job, int originalBytes) throws Exception {
        String id = job.get("id").asText();
        JsonNode result = job.get("result");
        assertThat(result.get("parametersAfter").asLong()).isLessThan(result.get("parametersBefore").asLong());
        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        JsonNode conv2 = layer(report, "conv2");
        assertThat(conv2.get("factorized").asBoolean()).as(conv2.toString()).isTrue();
        assertThat(conv2.get("parametersAfter").asLong()).isLessThanOrEqualTo((long) (0.4 * 16 * 8 * 9));
        assertThat(report.get("compressed").get("batch1").get("p50Ms").asDouble()).isPositive();

        Api.Response artifact = api.get("/v1/jobs/" + id + "/artifact");
        assertThat(artifact.status()).isEqualTo(200);
        assertThat(artifact.body().length).isLessThan(originalBytes);
        assertThat(ModelInspector.inspect(OnnxModels.parse(artifact.body())).parameters())
                .isEqualTo(result.get("parametersAfter").asLong());
        return report;
    }

    private static JsonNode layer(JsonNode report, String node) {
        for (JsonNode l : report.get("layers")) {
            if (l.get("node").asText().equals(node)) {
                return l;
            }
        }
        throw new AssertionError("no layer " + node + " in " + report.get("layers"));
    }
}
