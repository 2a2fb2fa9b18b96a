package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.service.support.Api;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.TrainedModels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * ldr through the REST API: the Fashion-MNIST MLP (784-128-10, trained by the engine) gets its hidden layer replaced
 * by Toeplitz-like blocks of displacement rank 2 and fine-tuned on the training split; the artifact is much smaller
 * and loads, and the report measures it on the held-out test split.
 */
class LdrEndToEndTest extends H2ServiceTest {

    @Test
    void theMlpsHiddenLayerBecomesToeplitzLikeAndTheArtifactIsSmallerAndLoads() throws Exception {
        byte[] original = TrainedModels.fashionMlp();
        String modelId = api.postRaw("/v1/models?name=fashion", original, MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        String train = api.postMultipart("/v1/datasets", "fashion-train-8000.zip",
                FashionMnistFiles.trainSplitIdxZip(8000)).json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", modelId, "method", "ldr",
                "parameters", Map.of("structure", "toeplitz-like", "displacementRank", 2),
                "trainDatasetId", train, "evalDatasetId", test,
                "budget", Map.of("maxSteps", 300, "batchSize", 64)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        String id = submitted.json().get("id").asText();
        JsonNode job = api.awaitJob(id, Duration.ofMinutes(5), Set.of("succeeded", "failed", "cancelled"));
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");

        JsonNode result = job.get("result");
        long before = result.get("parametersBefore").asLong();
        long after = result.get("parametersAfter").asLong();
        // 784x128 padded to 896x128: 7 blocks, each 2 generator pairs of 128
        assertThat(before - after).isEqualTo(784L * 128 - 7L * 2 * 2 * 128);

        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        JsonNode hidden = report.get("layers").get(0);
        assertThat(hidden.get("factorized").asBoolean()).isTrue();
        assertThat(hidden.get("note").asText()).contains("toeplitz-like").contains("padded to 896x128");
        assertThat(report.get("layers").get(1).get("factorized").asBoolean()).isFalse();
        double accuracyBefore = report.get("original").get("top1Accuracy").asDouble();
        double accuracyAfter = report.get("compressed").get("top1Accuracy").asDouble();
        System.out.printf("ldr job: %d -> %d parameters, accuracy %.4f -> %.4f%n", before, after, accuracyBefore,
                accuracyAfter);
        assertThat(accuracyBefore).isGreaterThan(0.6);
        assertThat(accuracyAfter).isGreaterThan(0.5);
        // the data fit of the one structured layer took half of the 300 steps, fine-tuning the other half
        assertThat(hidden.get("note").asText()).contains("data fit").contains("after 150 Adam steps");
        assertThat(report.get("curves").get("loss")).hasSize(150);

        Api.Response artifact = api.get("/v1/jobs/" + id + "/artifact");
        assertThat(artifact.status()).isEqualTo(200);
        assertThat(artifact.body().length).isLessThan(original.length / 4);
        assertThat(ModelInspector.inspect(OnnxModels.parse(artifact.body())).parameters()).isEqualTo(after);
        assertThat(report.get("compressed").get("batch1").get("p50Ms").asDouble()).isPositive();
    }

    /**
     * A target ratio chooses the displacement rank, and apply: fft comes back as DFT nodes at opset 17 that ONNX
     * Runtime measures; a ratio below rank 1 everywhere is refused up front.
     */
    @Test
    void aTargetRatioChoosesTheRankAndAnFftArtifactComesBackWithDftNodes() throws Exception {
        byte[] original = TrainedModels.fashionMlp();
        String modelId = api.postRaw("/v1/models?name=fashion", original, MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        long before = api.get("/v1/models/" + modelId).json().get("parameters").asLong();
        String train = api.postMultipart("/v1/datasets", "fashion-train-2000.zip",
                FashionMnistFiles.trainSplitIdxZip(2000)).json().get("id").asText();
        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", modelId, "method", "ldr",
                "parameters", Map.of("apply", "fft"), "target", Map.of("compressionRatio", 0.2),
                "trainDatasetId", train, "budget", Map.of("maxSteps", 40, "batchSize", 64)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        assertThat(submitted.json().get("parameters").get("targetParameters").asLong())
                .isEqualTo((long) Math.floor(0.2 * before));
        String id = submitted.json().get("id").asText();
        JsonNode job = api.awaitJob(id, Duration.ofMinutes(5), Set.of("succeeded", "failed", "cancelled"));
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        // 784x128 as 7 blocks of 128: 1,792 parameters per displacement rank, 1,418 outside; rank 10 fits 20,354
        assertThat(job.get("result").get("parametersAfter").asLong()).isEqualTo(1418 + 10 * 1792);
        assertThat(job.get("result").get("targetMet").asBoolean()).isTrue();

        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        assertThat(report.get("layers").get(0).get("note").asText()).contains("displacement rank 10 (chosen for "
                + "targetParameters 20354").contains("exported with FFTs");
        assertThat(report.get("compressed").get("batch1").get("p50Ms").asDouble()).isPositive();
        ModelProto artifact = OnnxModels.parse(api.get("/v1/jobs/" + id + "/artifact").body());
        assertThat(artifact.getGraph().getNodeList()).anyMatch(n -> n.getOpType().equals("DFT"));
        assertThat(ModelInspector.defaultOpset(artifact)).isEqualTo(17);

        Api.Response unreachable = api.postJson("/v1/jobs", Map.of("modelId", modelId, "method", "ldr",
                "target", Map.of("compressionRatio", 0.01)));
        assertThat(unreachable.status()).isEqualTo(422);
        assertThat(unreachable.json().get("errors").toString()).contains("below the smallest model ldr can make");
    }

    @Test
    void badLdrParametersAreRefusedAllAtOnce() throws Exception {
        String model = api.postRaw("/v1/models", TrainedModels.fashionMlp(), MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "ldr",
                "parameters", Map.of("structure", "hankel", "displacementRank", 0, "layers", List.of("nope"),
                        "apply", "fourier")));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").toString()).contains("structure").contains("displacementRank")
                .contains("nope").contains("apply must be one of [fft, dense]");
    }
}
