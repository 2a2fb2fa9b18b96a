package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.testing.FusionModels;
import io.caas.service.support.Api;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.TrainedModels;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.MediaType;

/**
 * The bilinear method through the REST API: a two-input fusion classifier trained on real Fashion-MNIST (top and
 * bottom image halves fused by a bilinear layer) and its two-input npz datasets uploaded, compressed, measured and
 * downloaded smaller.
 */
class BilinearEndToEndTest extends H2ServiceTest {

    @Test
    void aFusionModelsBilinearLayerBecomesTheHadamardFormAndKeepsItsAccuracy() throws Exception {
        String modelId = api.postRaw("/v1/models?name=fusion", TrainedModels.fashionFusion(),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        JsonNode bilinear = bilinearLayer(api.get("/v1/models/" + modelId).json().get("layers"));
        assertThat(bilinear.get("node").asText()).isEqualTo("bilinear");
        assertThat(bilinear.get("methods").toString()).contains("bilinear").doesNotContain("svd");

        JsonNode job = ratioTenthOnTheHalves(modelId, "bilinear via REST");
        String id = job.get("id").asText();
        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        assertThat(report.get("curves").has("loss")).isTrue();
        JsonNode layer = report.get("layers").get(0);
        assertThat(layer.get("factorized").asBoolean()).isTrue();
        assertThat(layer.get("finalRank").asInt()).isEqualTo(19); // the largest d with d·(24+24+24) ≤ 0.1·24³
        byte[] artifact = api.get("/v1/jobs/" + id + "/artifact").body();
        ModelProto compressed = OnnxModels.parse(artifact);
        List<String> ops = compressed.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertThat(ops).doesNotContain("Einsum").contains("Mul");
        assertThat(artifact.length).isLessThan(TrainedModels.fashionFusion().length);
        assertThat(ModelInspector.inspect(compressed).parameters())
                .isEqualTo(job.get("result").get("parametersAfter").asLong())
                .isLessThan(job.get("result").get("parametersBefore").asLong());
    }

    @Test
    void theSameLayerWrittenAsPyTorchsMatMulExportIsFoundAndCompressed() throws Exception {
        ModelProto matMulForm = FusionModels.matMulForm(OnnxModels.parse(TrainedModels.fashionFusion()));
        String modelId = api.postRaw("/v1/models?name=fusion-matmul", matMulForm.toByteArray(),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        JsonNode layers = api.get("/v1/models/" + modelId).json().get("layers");
        // the projection MatMul is listed once, as the bilinear layer, not also as a dense layer for svd
        assertThat(layers).as(layers.toString()).hasSize(4);
        JsonNode bilinear = bilinearLayer(layers);
        assertThat(bilinear.get("node").asText()).isEqualTo("bilinear");
        assertThat(bilinear.get("opType").asText()).isEqualTo("MatMul");
        assertThat(bilinear.get("methods").toString()).contains("bilinear").doesNotContain("svd");
        String description = null;
        for (JsonNode m : api.get("/v1/methods").json().get("items")) {
            if (m.get("name").asText().equals("bilinear")) {
                description = m.get("description").asText();
            }
        }
        assertThat(description).contains("Einsum").contains("MatMul").contains("ReduceSum").contains("Squeeze");

        String id = ratioTenthOnTheHalves(modelId, "bilinear via REST on the MatMul form").get("id").asText();
        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        assertThat(report.get("layers").get(0).get("finalRank").asInt()).isEqualTo(19);
        ModelProto compressed = OnnxModels.parse(api.get("/v1/jobs/" + id + "/artifact").body());
        List<String> ops = compressed.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertThat(ops).doesNotContain("Reshape", "ReduceSum", "Unsqueeze", "Shape", "Concat", "Constant")
                .containsSubsequence("MatMul", "MatMul", "Mul", "MatMul", "Add");
    }

    /**
     * PyTorch 1.13 exports of the two newer forms (engine test fixtures, x [N, 6], y [N, 4], 3 outputs): the Gemm
     * projection with a bias, and the [k, i, j] weight in a broadcasting MatMul. Listed as one bilinear layer,
     * compressed without data, downloaded in the Hadamard form.
     */
    @ParameterizedTest
    @CsvSource({"gemm-bias-opset13, Gemm, 84, 28, Gemm", "broadcast-kij-twice-opset13, MatMul, 72, 26, MatMul"})
    void theGemmAndBroadcastFormsArriveAsOneBilinearLayerAndLeaveFactorized(String fixture, String opType,
                                                                             long parameters, long after,
                                                                             String firstProjection) throws Exception {
        byte[] bytes;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("bilinear-matmul/" + fixture + ".onnx")) {
            assertThat(in).as(fixture).isNotNull();
            bytes = in.readAllBytes();
        }
        String modelId = api.postRaw("/v1/models?name=" + fixture, bytes, MediaType.APPLICATION_OCTET_STREAM).json()
                .get("id").asText();
        JsonNode layers = api.get("/v1/models/" + modelId).json().get("layers");
        assertThat(layers).as(layers.toString()).hasSize(1);
        JsonNode layer = layers.get(0);
        assertThat(layer.get("kind").asText()).isEqualTo("BILINEAR");
        assertThat(layer.get("opType").asText()).isEqualTo(opType);
        assertThat(layer.get("parameters").asLong()).isEqualTo(parameters); // with the Gemm's bias, 3·4 more

        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", modelId, "method", "bilinear",
                "parameters", Map.of("rank", 2)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        String id = submitted.json().get("id").asText();
        JsonNode job = api.awaitJob(id, Duration.ofMinutes(2), Set.of("succeeded", "failed", "cancelled"));
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        System.out.printf("bilinear via REST on %s: %s%n", fixture, report.get("layers"));
        assertThat(report.get("layers").get(0).get("factorized").asBoolean()).isTrue();
        assertThat(report.get("layers").get(0).get("parametersAfter").asLong()).isEqualTo(after);
        ModelProto compressed = OnnxModels.parse(api.get("/v1/jobs/" + id + "/artifact").body());
        assertThat(compressed.getGraph().getNodeList().stream().map(NodeProto::getOpType)
                .filter(op -> !op.equals("Constant")).toList())
                .containsExactly(firstProjection, "MatMul", "Mul", "MatMul");
    }

    @Test
    void aDatasetWhoseArraysDoNotMatchTheInputsIsRefused() throws Exception {
        String modelId = api.postRaw("/v1/models?name=mlp", TrainedModels.fashionMlp(),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String halves = api.postMultipart("/v1/datasets", "halves.npz", FashionMnistFiles.halvesNpz("t10k", 100))
                .json().get("id").asText();
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", modelId, "method", "svd",
                "parameters", Map.of("fineTune", true), "trainDatasetId", halves));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").toString()).contains("no array for model input 'image'")
                .contains("'top' but the model has no such input");
    }

    /** The model's one BILINEAR layer in its listing. */
    private static JsonNode bilinearLayer(JsonNode layers) {
        JsonNode bilinear = null;
        for (JsonNode l : layers) {
            if (l.get("kind").asText().equals("BILINEAR")) {
                bilinear = l;
            }
        }
        assertThat(bilinear).as(layers.toString()).isNotNull();
        return bilinear;
    }

    /**
     * Uploads the two-half datasets (8,000 training and 2,000 test images), runs bilinear at ratio 0.1 for 200
     * steps, and checks it succeeded with its accuracy held; the finished job.
     */
    private JsonNode ratioTenthOnTheHalves(String modelId, String label) throws Exception {
        Api.Response trainUpload = api.postMultipart("/v1/datasets", "fusion-train.npz",
                FashionMnistFiles.halvesNpz("train", 8000));
        assertThat(trainUpload.status()).as(new String(trainUpload.body())).isEqualTo(201);
        assertThat(trainUpload.json().get("inputs").toString()).contains("top").contains("bottom").contains("392");
        String train = trainUpload.json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fusion-test.npz", FashionMnistFiles.halvesNpz("t10k", 2000))
                .json().get("id").asText();
        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", modelId, "method", "bilinear",
                "parameters", Map.of("ratio", 0.1), "trainDatasetId", train, "evalDatasetId", test,
                "budget", Map.of("maxSteps", 200, "batchSize", 64)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        JsonNode job = api.awaitJob(submitted.json().get("id").asText(), Duration.ofMinutes(5),
                Set.of("succeeded", "failed", "cancelled"));
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        JsonNode report = api.get("/v1/jobs/" + job.get("id").asText() + "/report").json();
        double before = report.get("original").get("top1Accuracy").asDouble();
        double after = report.get("compressed").get("top1Accuracy").asDouble();
        System.out.printf("%s: accuracy %.4f -> %.4f, %s%n", label, before, after, report.get("layers"));
        assertThat(report.get("original").get("evaluatedSamples").asInt()).isEqualTo(2000);
        assertThat(before).isGreaterThan(0.7);
        assertThat(after).isGreaterThan(before - 0.05);
        return job;
    }
}
