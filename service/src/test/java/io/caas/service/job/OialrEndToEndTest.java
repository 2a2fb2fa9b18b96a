package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.service.support.Api;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.TrainedModels;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * The product's main method end to end through the REST API: classifiers trained on real Fashion-MNIST, fine-tuned
 * into low rank by OIALR on the training split, measured on the held-out test split.
 */
class OialrEndToEndTest extends H2ServiceTest {

    static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

    JsonNode compress(byte[] model, Map<String, Object> parameters) throws Exception {
        String modelId = api.postRaw("/v1/models?name=fashion", model, MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        String train = api.postMultipart("/v1/datasets", "fashion-train-8000.zip",
                FashionMnistFiles.trainSplitIdxZip(8000)).json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        // every layer's two factors exported where smaller, whatever their speed, so that the cut shows
        Map<String, Object> untimed = new java.util.LinkedHashMap<>(parameters);
        untimed.put("onlyIfFaster", false);
        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", modelId, "method", "oialr",
                "parameters", untimed, "trainDatasetId", train, "evalDatasetId", test,
                "budget", Map.of("maxSteps", 300, "batchSize", 64, "learningRate", 1e-3)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        String id = submitted.json().get("id").asText();
        JsonNode job = api.awaitJob(id, Duration.ofMinutes(5), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        return job;
    }

    void assertSmallerRunnableAndMeasured(JsonNode job) throws Exception {
        String id = job.get("id").asText();
        JsonNode result = job.get("result");
        assertThat(result.get("parametersAfter").asLong()).isLessThan(result.get("parametersBefore").asLong());

        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        assertThat(report.get("original").get("evaluatedSamples").asInt()).isEqualTo(2000);
        double before = report.get("original").get("top1Accuracy").asDouble();
        double after = report.get("compressed").get("top1Accuracy").asDouble();
        // a model trained to well above chance (10 %) stays well above chance after low-rank fine-tuning
        assertThat(before).isGreaterThan(0.6);
        assertThat(after).isGreaterThan(0.5);
        assertThat(report.get("curves").has("loss")).isTrue();
        assertThat(report.get("curves").has("totalRank")).isTrue();
        boolean someLayerCut = false;
        for (JsonNode layer : report.get("layers")) {
            someLayerCut |= layer.get("finalRank").asInt() < layer.get("originalRank").asInt();
        }
        assertThat(someLayerCut).as(report.get("layers").toString()).isTrue();

        // the artifact is the model that was measured: same parameter count, and it loads in ONNX Runtime
        Api.Response artifact = api.get("/v1/jobs/" + id + "/artifact");
        assertThat(artifact.status()).isEqualTo(200);
        assertThat(ModelInspector.inspect(OnnxModels.parse(artifact.body())).parameters())
                .isEqualTo(result.get("parametersAfter").asLong());
        assertThat(report.get("compressed").get("batch1").get("p50Ms").asDouble()).isPositive();

        long metricEvents = 0;
        long progressEvents = 0;
        String trained = null;
        for (JsonNode e : api.get("/v1/jobs/" + id + "/events?limit=5000").json().get("items")) {
            if (e.get("type").asText().equals("metric") && e.get("data").get("name").asText().equals("loss")) {
                metricEvents++;
            }
            if (e.get("type").asText().equals("progress")) {
                progressEvents++;
            }
            if (e.get("type").asText().equals("progress") && e.get("message").asText().contains("frozen:")) {
                trained = e.get("message").asText();
            }
        }
        // every training step's loss is kept for the curves; its progress is thinned to about one event a percent
        assertThat(metricEvents).as("a loss per step").isEqualTo(300);
        assertThat(progressEvents).as("progress events for 300 steps").isPositive().isLessThan(150);
        // the log says where and what trained: the cores, with the bases the method holds fixed counted as frozen
        assertThat(trained).contains("fine-tuning on the CPU: training ").contains("(compressed ").contains("frozen: compressed ");
    }

    @Test
    void anMlpTrainedOnFashionMnistShrinksAndKeepsItsAccuracyMeasured() throws Exception {
        JsonNode job = compress(TrainedModels.fashionMlp(), Map.of("frequency", 50, "skipFirstAndLast", false));
        assertSmallerRunnableAndMeasured(job);
    }

    @Test
    void aCnnTrainedOnFashionMnistShrinks() throws Exception {
        JsonNode job = compress(TrainedModels.fashionCnn(),
                Map.of("frequency", 50, "sigmaCutoff", 0.3, "skipFirstAndLast", false));
        assertSmallerRunnableAndMeasured(job);
    }

    @Test
    void badOialrParametersAndAMissingTrainingSetAreRefused() throws Exception {
        String model = api.postRaw("/v1/models", TrainedModels.fashionMlp(), MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "oialr",
                "parameters", Map.of("sigmaCutoff", 1.5, "minRank", -1, "layers", java.util.List.of("nope"))));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("errors").toString()).contains("sigmaCutoff").contains("minRank").contains("nope")
                .contains("training dataset");
    }
}
