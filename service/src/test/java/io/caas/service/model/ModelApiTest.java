package io.caas.service.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.engine.onnx.proto.Onnx;
import io.caas.service.support.Api;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.SmallModels;
import io.caas.service.support.TestMaterial;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

class ModelApiTest extends H2ServiceTest {

    @Test
    void multipartUploadRegistersARealModelWithItsLayers() throws Exception {
        Path file = TestMaterial.wakeWordHead();
        Api.Response r = api.postFile("/v1/models", file);

        assertThat(r.status()).isEqualTo(201);
        JsonNode m = r.json();
        assertThat(r.headers().getLocation()).hasToString("/v1/models/" + m.get("id").asText());
        assertThat(m.get("sha256").asText()).isEqualTo(sha256(Files.readAllBytes(file)));
        assertThat(m.get("sizeBytes").asLong()).isEqualTo(Files.size(file));
        assertThat(m.get("filename").asText()).isEqualTo("hey_jarvis_v0.1.onnx");
        assertThat(m.get("producer").asText()).isEqualTo("pytorch");
        // openWakeWord heads flatten 16 x 96 embedding frames into a 3-layer Gemm MLP.
        assertThat(m.get("inputs").get(0).get("shape").toString()).isEqualTo("[1,16,96]");
        // three in the main graph, then the verifier head's three inside the then-branch of its If
        assertThat(m.get("layers")).hasSize(6);
        for (int i = 0; i < 6; i++) {
            JsonNode layer = m.get("layers").get(i);
            assertThat(layer.hasNonNull("subgraph")).as(layer.toString()).isEqualTo(i >= 3);
            if (i >= 3) {
                assertThat(layer.get("subgraph").asText()).isEqualTo("/If_32[then_branch]");
                assertThat(layer.get("node").asText()).startsWith("/If_32[then_branch]/Gemm_");
                assertThat(layer.get("methods")).extracting(JsonNode::asText)
                        .containsExactlyInAnyOrder("svd", "oialr");
                // per run of the branch (taken or not, as the data decides), and in no total: a Gemm over one
                // sample's row costs its weight's in·out
                JsonNode w = layer.get("weightShape");
                assertThat(layer.get("macs").asLong()).as(layer.toString()).isEqualTo(w.get(0).asLong() * w.get(1).asLong());
            }
        }
        assertThat(m.get("layers").get(0).get("weightShape").toString()).isEqualTo("[128,1536]");
        assertThat(m.get("layers").get(0).get("kind").asText()).isEqualTo("DENSE");
        assertThat(m.get("parameters").asLong()).isGreaterThan(128L * 1536 + 128L * 128);
        assertThat(m.get("operators").get("Gemm").asInt()).isEqualTo(3);
        // one sample through Gemm 1536→128 costs 1536·128 multiply-accumulates
        assertThat(m.get("layers").get(0).get("macs").asLong()).isEqualTo(1536L * 128);
        assertThat(m.get("macs").get("sampleShape").toString()).isEqualTo("[16,96]");
        long layers = 0;
        for (JsonNode layer : m.get("layers")) {
            layers += layer.hasNonNull("subgraph") ? 0 : layer.get("macs").asLong();
        }
        assertThat(m.get("macs").get("layersTotal").asLong()).isEqualTo(layers);

        // every method, whether it runs on this model and, where not, the reason it would give when refusing a job
        java.util.Map<String, JsonNode> offers = new java.util.HashMap<>();
        m.get("methods").forEach(o -> offers.put(o.get("name").asText(), o));
        assertThat(offers).containsKeys("svd", "oialr", "tucker", "cp", "tt", "bilinear", "ldr", "tied");
        assertThat(offers.get("svd").get("applies").asBoolean()).isTrue();
        assertThat(offers.get("svd").hasNonNull("reason")).isFalse();
        assertThat(offers.get("tucker").get("applies").asBoolean()).isFalse();
        assertThat(offers.get("tucker").get("reason").asText()).contains("no Conv layer");
        assertThat(offers.get("bilinear").get("reason").asText()).contains("no bilinear layer");
    }

    @Test
    void aMethodWhoseJobWouldBeRefusedIsNotOfferedForTheModelNorForAnyOfItsLayers() throws Exception {
        // 784→64→10: two dense layers, but no pair d→h→d for tied to share, which only the graph tells
        JsonNode m = api.postRaw("/v1/models?name=mlp", SmallModels.fashionMlp(64, 3),
                MediaType.APPLICATION_OCTET_STREAM).json();
        String id = m.get("id").asText();

        for (JsonNode model : List.of(m, api.get("/v1/models/" + id).json())) {
            JsonNode tied = offer(model, "tied");
            assertThat(tied.get("applies").asBoolean()).as(tied.toString()).isFalse();
            assertThat(tied.get("reason").asText()).contains("no layer pair d→h→d");
            assertThat(offer(model, "svd").get("applies").asBoolean()).isTrue();
            for (JsonNode layer : model.get("layers")) {
                assertThat(layer.get("methods")).extracting(JsonNode::asText).contains("svd")
                        .doesNotContain("tied");
            }
        }
        // the job the page would no longer offer is refused for the same reason
        Api.Response refused = api.postJson("/v1/jobs", java.util.Map.of("modelId", id, "method", "tied"));
        assertThat(refused.status()).as(new String(refused.body())).isEqualTo(422);
        assertThat(new String(refused.body())).contains("no layer pair d→h→d");
    }

    private static JsonNode offer(JsonNode model, String method) {
        for (JsonNode o : model.get("methods")) {
            if (o.get("name").asText().equals(method)) {
                return o;
            }
        }
        throw new AssertionError("no offer for " + method + " in " + model.get("methods"));
    }

    @Test
    void rawBodyUploadTakesNameAndFilenameFromTheQuery() throws Exception {
        byte[] bytes = Files.readAllBytes(TestMaterial.paddleClassifier());
        Api.Response r = api.postRaw("/v1/models?name=direction&filename=cls.onnx", bytes, MediaType.APPLICATION_OCTET_STREAM);

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.json().get("name").asText()).isEqualTo("direction");
        assertThat(r.json().get("filename").asText()).isEqualTo("cls.onnx");
        // Paddle keeps its weights in Constant nodes; they must still count and be found.
        assertThat(r.json().get("operators").get("Conv").asInt()).isGreaterThan(40);
        assertThat(r.json().get("parameters").asLong()).isGreaterThan(100_000);
        assertThat(r.json().get("layers").size()).isGreaterThan(10);
    }

    @Test
    void contentDownloadReturnsTheUploadedBytes() throws Exception {
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        String id = api.postRaw("/v1/models", bytes, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();

        Api.Response r = api.get("/v1/models/" + id + "/content");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(bytes);
        assertThat(r.headers().getETag()).isEqualTo("\"" + sha256(bytes) + "\"");
    }

    @Test
    void listingPagesNewestFirstWithoutRepeats() throws Exception {
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            made.add(api.postRaw("/v1/models?name=page" + i, bytes, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText());
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = api.get("/v1/models?limit=2" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("items").forEach(i -> seen.add(i.get("id").asText()));
            cursor = page.hasNonNull("nextCursor") ? page.get("nextCursor").asText() : null;
        } while (cursor != null);

        assertThat(seen).doesNotHaveDuplicates().containsAll(made);
        assertThat(seen.indexOf(made.get(2))).isLessThan(seen.indexOf(made.get(0)));
    }

    @Test
    void deleteRemovesTheRecordAndTheFile() throws Exception {
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        String id = api.postRaw("/v1/models", bytes, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        assertThat(storedModels()).anyMatch(p -> p.getFileName().toString().startsWith(id));

        assertThat(api.delete("/v1/models/" + id).status()).isEqualTo(204);

        assertThat(api.get("/v1/models/" + id).status()).isEqualTo(404);
        assertThat(api.get("/v1/models/" + id + "/content").status()).isEqualTo(404);
        assertThat(api.delete("/v1/models/" + id).status()).isEqualTo(404);
        assertThat(storedModels()).noneMatch(p -> p.getFileName().toString().startsWith(id));
    }

    @Test
    void notOnnxIsRefusedAndNothingIsKept() throws Exception {
        List<Path> before = storedModels();
        Api.Response r = api.postMultipart("/v1/models", "model.onnx", "this is not a model".getBytes());

        assertProblem(r, 422, "urn:caas:problem:invalid-model");
        assertThat(r.json().get("detail").asText()).contains("not an ONNX model");
        assertThat(storedModels()).isEqualTo(before);
    }

    @Test
    void aTruncatedRealModelIsRefused() throws Exception {
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        List<Path> before = storedModels();
        Api.Response r = api.postRaw("/v1/models", Arrays.copyOf(bytes, bytes.length / 2), MediaType.APPLICATION_OCTET_STREAM);

        assertProblem(r, 422, "urn:caas:problem:invalid-model");
        assertThat(storedModels()).isEqualTo(before);
    }

    @Test
    void externalDataIsRefusedBecauseItNamesFilesOnTheServer() throws Exception {
        Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(TestMaterial.wakeWordHead()));
        Onnx.GraphProto.Builder graph = model.getGraph().toBuilder();
        Onnx.TensorProto first = graph.getInitializer(0);
        graph.setInitializer(0, first.toBuilder().clearRawData()
                .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("location").setValue("/etc/passwd")));
        byte[] hostile = model.toBuilder().setGraph(graph).build().toByteArray();

        Api.Response r = api.postRaw("/v1/models", hostile, MediaType.APPLICATION_OCTET_STREAM);

        assertProblem(r, 422, "urn:caas:problem:invalid-model");
        assertThat(r.json().get("detail").asText()).contains("external data");
    }

    @Test
    void anEmptyBodyIsABadRequest() {
        assertProblem(api.postRaw("/v1/models", new byte[0], MediaType.APPLICATION_OCTET_STREAM), 400,
                "urn:caas:problem:bad-upload");
    }

    @Test
    void aMultipartRequestWithoutTheFilePartIsABadRequest() {
        Api.Response r = api.postMultipart("/v1/models", "model.onnx", new byte[0]);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
    }

    @Test
    void aWrongContentTypeIsUnsupported() {
        Api.Response r = api.postRaw("/v1/models", "{}".getBytes(), MediaType.TEXT_PLAIN);
        assertThat(r.status()).isEqualTo(415);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
    }

    @Test
    void aModelOverTheLimitIsRefusedEitherWayAndNothingIsKept() throws Exception {
        Path big = TestMaterial.file("paddleocr/package/assets/ch_PP-OCRv4_rec_infer.onnx");
        assertThat(Files.size(big)).isGreaterThan(UPLOAD_LIMIT);
        List<Path> before = storedModels();

        Api.Response raw = api.postRaw("/v1/models", Files.readAllBytes(big), MediaType.APPLICATION_OCTET_STREAM);
        assertProblem(raw, 413, "urn:caas:problem:upload-too-large");
        assertThat(raw.json().get("limitBytes").asLong()).isEqualTo(UPLOAD_LIMIT);

        Api.Response multipart = api.postFile("/v1/models", big);
        assertThat(multipart.status()).isEqualTo(413);
        assertThat(multipart.contentType()).isEqualTo("application/problem+json");
        // the multipart path used to say "the limit of -1 bytes"
        assertThat(multipart.json().get("limitBytes").asLong()).isEqualTo(UPLOAD_LIMIT);
        assertThat(multipart.json().get("detail").asText()).contains("limit of " + UPLOAD_LIMIT + " bytes");

        assertThat(storedModels()).isEqualTo(before);
    }

    @Test
    void unknownAndMalformedIds() {
        assertProblem(api.get("/v1/models/1b4e28ba-2fa1-11d2-883f-0016d3cca427"), 404, "urn:caas:problem:not-found");
        Api.Response malformed = api.get("/v1/models/not-a-uuid");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.contentType()).isEqualTo("application/problem+json");
        assertThat(malformed.json().toString()).doesNotContain("Exception").doesNotContain("at io.caas");
    }

    static void assertProblem(Api.Response r, int status, String type) {
        assertThat(r.status()).as(new String(r.body())).isEqualTo(status);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("type").asText()).isEqualTo(type);
        assertThat(r.json().get("status").asInt()).isEqualTo(status);
        assertThat(r.json().get("detail").asText()).isNotBlank();
    }

    static List<Path> storedModels() throws IOException {
        Path dir = DATA_DIR.resolve("artifacts/models");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
