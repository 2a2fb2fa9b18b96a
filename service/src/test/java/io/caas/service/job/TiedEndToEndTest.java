package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
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
 * Weight tying through the REST API: an MLP with a 128→512→128 block, trained on real Fashion-MNIST, tied and
 * fine-tuned with labels on the training split, measured on the test split; the artifact holds the block's matrix
 * once and runs in ONNX Runtime.
 */
class TiedEndToEndTest extends H2ServiceTest {

    @Test
    void aBottleneckMlpIsTiedFineTunedAndServedSmaller() throws Exception {
        JsonNode methods = api.get("/v1/methods").json();
        List<String> tiedParameters = new ArrayList<>();
        for (JsonNode m : methods.get("items")) {
            if (m.get("name").asText().equals("tied")) {
                m.get("parameters").forEach(p -> tiedParameters.add(p.get("name").asText()));
            }
        }
        assertThat(tiedParameters).containsExactly("pairs", "init", "fineTune", "trainOnlyTied");

        byte[] model = TrainedModels.fashionBottleneckMlp();
        String modelId = api.postRaw("/v1/models?name=bottleneck", model, MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        String train = api.postMultipart("/v1/datasets", "fashion-train-8000.zip",
                FashionMnistFiles.trainSplitIdxZip(8000)).json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", modelId, "method", "tied",
                "parameters", Map.of(), "trainDatasetId", train, "evalDatasetId", test,
                "budget", Map.of("maxSteps", 300, "batchSize", 64)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        String id = submitted.json().get("id").asText();
        JsonNode job = api.awaitJob(id, Duration.ofMinutes(5), Set.of("succeeded", "failed", "cancelled"));
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");

        JsonNode result = job.get("result");
        assertThat(result.get("parametersBefore").asLong() - result.get("parametersAfter").asLong())
                .isEqualTo(128L * 512);
        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        assertThat(report.get("layers")).hasSize(1);
        JsonNode pair = report.get("layers").get(0);
        assertThat(pair.get("node").asText()).isEqualTo("fc2+fc3");
        assertThat(pair.get("parametersAfter").asLong()).isEqualTo(128L * 512);
        assertThat(report.get("curves").get("loss")).hasSize(300);
        double before = report.get("original").get("top1Accuracy").asDouble();
        double after = report.get("compressed").get("top1Accuracy").asDouble();
        System.out.printf("tied via REST: accuracy %.4f -> %.4f, %s -> %s parameters%n", before, after,
                result.get("parametersBefore"), result.get("parametersAfter"));
        assertThat(before).isGreaterThan(0.6);
        assertThat(after).isGreaterThan(before - 0.05);

        Api.Response artifact = api.get("/v1/jobs/" + id + "/artifact");
        assertThat(artifact.status()).isEqualTo(200);
        assertThat(artifact.body().length).isLessThan(model.length - 128 * 512 * 4 + 1024);
        ModelProto served = OnnxModels.parse(artifact.body());
        assertThat(ModelInspector.inspect(served).parameters()).isEqualTo(result.get("parametersAfter").asLong());
        try (ModelRunner runner = new ModelRunner(served, 1, new long[] {1, 28, 28})) {
            float[][] logits = runner.run(new float[2 * 784], 0, 2);
            assertThat(logits).hasNumberOfRows(2);
            assertThat(logits[0]).hasSize(10);
        }
    }
}
