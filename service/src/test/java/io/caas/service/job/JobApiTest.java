package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.service.support.Api;
import io.caas.service.support.FloatNpz;
import io.caas.service.support.TestTenants;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.SmallModels;
import io.caas.service.support.TestMaterial;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

class JobApiTest extends H2ServiceTest {

    static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

    String uploadWakeWordHead() throws Exception {
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        return api.postRaw("/v1/models", bytes, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
    }

    @Test
    void anSvdJobRunsToASmallerModelThatOnnxRuntimeRuns() throws Exception {
        String model = uploadWakeWordHead();
        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("energy", 0.9, "skipFirstAndLast", false, "onlyIfFaster", false),
                "measure", Map.of("interpreterLatency", true)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        String id = submitted.json().get("id").asText();
        assertThat(submitted.json().get("status").asText()).isEqualTo("queued");
        assertThat(submitted.json().get("measure").get("interpreterLatency").asBoolean()).isTrue();

        JsonNode job = api.awaitJob(id, Duration.ofSeconds(60), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        assertThat(job.get("progress").asDouble()).isEqualTo(1.0);
        assertThat(job.get("attempts").asInt()).isEqualTo(1);
        JsonNode result = job.get("result");
        assertThat(result.get("parametersAfter").asLong()).isLessThan(result.get("parametersBefore").asLong());
        assertThat(result.get("bytesAfter").asLong()).isLessThan(result.get("bytesBefore").asLong());

        Api.Response artifact = api.get("/v1/jobs/" + id + "/artifact");
        assertThat(artifact.status()).isEqualTo(200);
        assertThat(artifact.body().length).isEqualTo(job.get("artifact").get("sizeBytes").asInt());
        var compressed = OnnxModels.parse(artifact.body());
        assertThat(ModelInspector.inspect(compressed).parameters()).isEqualTo(result.get("parametersAfter").asLong());
        // the first Gemm became two smaller MatMul/Gemm layers: more weighted nodes than the original's three
        assertThat(ModelInspector.inspect(compressed).layers().size()).isGreaterThan(3);
        assertThat(runInOnnxRuntime(artifact.body(), new long[] {1, 16, 96})).hasSize(1);

        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        assertThat(report.get("layers").get(0).get("finalRank").asInt())
                .isLessThan(report.get("layers").get(0).get("originalRank").asInt());
        assertThat(report.get("original").get("batch1").get("p50Ms").asDouble()).isPositive();
        assertThat(report.get("compressed").get("parameters").asLong()).isEqualTo(result.get("parametersAfter").asLong());
        assertThat(report.get("agreement").get("samples").asInt()).isPositive();
        // one wake-word score per sample: argmax and cosine say nothing there, correlation and relative error do
        assertThat(report.get("agreement").get("outputsPerSample").asInt()).isEqualTo(1);
        assertThat(report.get("agreement").get("measure").asText()).isEqualTo("correlation");
        assertThat(report.get("agreement").get("meanRelativeError").isNumber()).isTrue();
        assertThat(report.get("agreement").has("correlation")).isTrue();
        // asked for: the wake-word head's If (a verifier head in its then-branch) runs in the interpreter too
        assertThat(report.get("interpreter").get("original").get("batch1").get("p50Ms").asDouble()).isPositive();
        assertThat(report.get("interpreter").get("compressed").get("batch1").get("p50Ms").asDouble()).isPositive();
        assertCostIsReported(report, result);

        List<String> transitions = new ArrayList<>();
        api.get("/v1/jobs/" + id + "/events").json().get("items").forEach(e -> {
            if (e.get("type").asText().equals("state")) {
                transitions.add(e.get("data").get("to").asText());
            }
        });
        assertThat(transitions).containsExactly("queued", "running", "succeeded");
        assertEventsPageWithANextCursorAndATotal(id);

        String metrics = new String(Api.withToken(port, TestTenants.METRICS_TOKEN).get("/actuator/prometheus").body());
        assertThat(metrics).contains("caas_jobs_submitted_total{application=\"caas\",method=\"svd\"}")
                .contains("caas_jobs_finished_total{application=\"caas\",method=\"svd\",status=\"succeeded\"}")
                .contains("caas_jobs_duration_seconds_bucket").contains("caas_jobs_compression_ratio")
                .doesNotContain("caas_job_").doesNotContain("caas_compression_").doesNotContain("caas_accuracy_")
                .contains("caas_jobs_queued").contains("caas_jobs_running").contains("caas_upload_bytes")
                // this node is a worker on a machine without a GPU, and auto, the default, resolved to its CPU
                .contains("caas_worker_training_device{application=\"caas\",device=\"CPU\"} 1.0");
    }

    /** Pages of two events follow one another by their next cursor, each saying how many there are in all. */
    private void assertEventsPageWithANextCursorAndATotal(String id) {
        JsonNode all = api.get("/v1/jobs/" + id + "/events").json();
        long total = all.get("total").asLong();
        assertThat(all.get("items")).hasSize((int) total);
        assertThat(all.has("next")).as("one page holds them all").isFalse();
        assertThat(total).isGreaterThan(4);
        List<Long> paged = new ArrayList<>();
        long after = 0;
        while (true) {
            JsonNode page = api.get("/v1/jobs/" + id + "/events?limit=2&after=" + after).json();
            assertThat(page.get("total").asLong()).isEqualTo(total);
            page.get("items").forEach(e -> paged.add(e.get("id").asLong()));
            if (!page.has("next")) {
                break;
            }
            assertThat(page.get("items")).hasSize(2);
            after = page.get("next").asLong();
        }
        assertThat(paged).hasSize((int) total).isSorted().doesNotHaveDuplicates();
    }

    /** MACs before and after per layer, paired latency with its verdict, and where the time goes. */
    private static void assertCostIsReported(JsonNode report, JsonNode result) {
        JsonNode macs = report.get("macs");
        assertThat(macs.get("sampleShape").toString()).isEqualTo("[16,96]");
        assertThat(macs.get("layers")).hasSize(3);
        assertThat(macs.get("layers").get(0).get("macsBefore").asLong()).isEqualTo(1536L * 128); // Gemm 1536→128
        for (JsonNode layer : report.get("layers")) {
            if (layer.get("node").asText().startsWith("/If_32[")) {
                continue; // the verifier head inside the If's then-branch: MACs are counted on the main graph
            }
            JsonNode cost = null;
            for (JsonNode m : macs.get("layers")) {
                cost = m.get("node").asText().equals(layer.get("node").asText()) ? m : cost;
            }
            assertThat(cost).as(layer.toString()).isNotNull();
            long rows = layer.get("matrixShape").get(0).asLong();
            long cols = layer.get("matrixShape").get(1).asLong();
            assertThat(cost.get("macsBefore").asLong()).isEqualTo(rows * cols);
            // counted on the compressed graph: a factorized dense layer's two factors cost r·(in + out)
            assertThat(cost.get("macsAfter").asLong()).as(cost.toString()).isEqualTo(layer.get("factorized").asBoolean()
                    ? layer.get("finalRank").asLong() * (rows + cols) : rows * cols);
            assertThat(cost.get("nodesAfter")).hasSize(layer.get("factorized").asBoolean() ? 2 : 1);
        }
        assertThat(macs.get("layersAfter").asLong()).isLessThan(macs.get("layersBefore").asLong());
        assertThat(macs.get("totalBefore").asLong()).isEqualTo(macs.get("layersBefore").asLong());

        JsonNode speed = report.get("speed");
        boolean slower = false;
        for (String batch : List.of("batch1", "batchN")) {
            JsonNode paired = speed.get(batch);
            assertThat(paired.get("rounds").asInt()).isEqualTo(10);
            assertThat(paired.get("original").get("runs").asInt()).isEqualTo(30);
            assertThat(paired.get("compressed").get("p50Ms").asDouble()).isPositive()
                    .isLessThanOrEqualTo(paired.get("compressed").get("p95Ms").asDouble());
            assertThat(paired.get("medianRatio").asDouble()).isPositive();
            assertThat(paired.has("roundsDisagree")).isTrue();
            for (String side : List.of("original", "compressed")) {
                JsonNode stats = paired.get(side);
                assertThat(stats.get("noisy").asBoolean()).as(stats.toString()).isEqualTo(
                        stats.get("p95Ms").asDouble() > 1.5 * stats.get("p50Ms").asDouble());
            }
            // the report's latency figures are the two sides of these pairs
            assertThat(report.get("original").get(batch)).isEqualTo(paired.get("original"));
            slower |= paired.get("medianRatio").asDouble() > 1;
        }
        assertThat(speed.get("slower").asBoolean()).isEqualTo(slower);
        assertThat(result.get("slower").asBoolean()).isEqualTo(slower);
        assertThat(speed.get("verdict").asText()).startsWith("The compressed model is ").contains("at batch 1")
                .contains("at batch 32").contains(slower ? "slower" : "faster");

        JsonNode profile = report.get("profile");
        for (String model : List.of("original", "compressed")) {
            JsonNode batchN = profile.get(model).get("batchN");
            assertThat(batchN.get("batchSize").asInt()).isEqualTo(32);
            assertThat(batchN.get("nodeMicros").asDouble()).isPositive();
            assertThat(batchN.get("top").size()).isBetween(1, 20);
            assertThat(batchN.get("operators").toString()).containsAnyOf("\"Gemm\"", "\"FusedGemm\"");
        }
        // the factorized first layer runs as MatMul nodes
        assertThat(profile.get("compressed").get("batch1").get("operators").toString()).contains("\"MatMul\"");
    }

    @Test
    void aTargetCompressionRatioSetsTheMethodsParameterBudget() throws Exception {
        String model = uploadWakeWordHead();
        long before = api.get("/v1/models/" + model).json().get("parameters").asLong();
        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("skipFirstAndLast", false), "target", Map.of("compressionRatio", 0.6)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        // the job shows what it runs with
        assertThat(submitted.json().get("parameters").get("targetParameters").asLong())
                .isEqualTo((long) Math.floor(0.6 * before));
        JsonNode job = api.awaitJob(submitted.json().get("id").asText(), Duration.ofSeconds(60), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        double ratio = job.get("result").get("compressionRatio").asDouble();
        assertThat(ratio).isLessThanOrEqualTo(0.6).isGreaterThan(0.57);
        assertThat(job.get("result").get("targetMet").asBoolean()).isTrue();

        // a size the user chose wins over the target, which is then only checked
        Api.Response own = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("energy", 0.9), "target", Map.of("compressionRatio", 0.6)));
        assertThat(own.status()).isEqualTo(201);
        assertThat(own.json().get("parameters").has("targetParameters")).isFalse();

        // a target no rank can reach is refused up front, with the smallest size there is
        Api.Response unreachable = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "target", Map.of("compressionRatio", 0.001)));
        assertThat(unreachable.status()).isEqualTo(422);
        assertThat(unreachable.json().get("errors").toString()).contains("below the smallest model svd can make here");
    }

    @Test
    void aSpeedTargetKeepsNoLayerInAFormThatTimesSlowerThanDense() throws Exception {
        String model = uploadWakeWordHead();
        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("rank", 4, "skipFirstAndLast", false), "target", Map.of("speedup", 1.2)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        // the job shows what it runs with: svd's per-layer speed check, at the batch size the report measures
        JsonNode parameters = submitted.json().get("parameters");
        assertThat(parameters.get("onlyIfFaster").asBoolean()).isTrue();
        assertThat(parameters.get("timingBatchSize").asInt()).isPositive();
        JsonNode job = api.awaitJob(submitted.json().get("id").asText(), Duration.ofSeconds(120), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        JsonNode report = api.get("/v1/jobs/" + job.get("id").asText() + "/report").json();
        // the report says whether the model reached the speed-up, and how near it came
        double reached = report.get("target").get("speedupReached").asDouble();
        assertThat(reached).isEqualTo(1 / report.get("speed").get("batchN").get("medianRatio").asDouble(),
                org.assertj.core.api.Assertions.within(1e-9));
        assertThat(report.get("target").get("speedupMet").asBoolean()).isEqualTo(reached >= 1.2);
        JsonNode layers = report.get("layers");
        assertThat(layers).isNotEmpty();
        java.util.regex.Pattern ratios = java.util.regex.Pattern.compile("at ([0-9.]+)x .* and ([0-9.]+)x at batch 1");
        for (JsonNode layer : layers) {
            String note = layer.get("note").asText();
            java.util.regex.Matcher m = ratios.matcher(note);
            if (note.contains("not timed alone")) {
                // in the If's branch, where no layer can be timed alone: the whole model's timing decided, and a
                // model kept in factorized form was faster than the original
                assertThat(layer.get("node").asText()).startsWith("/If_32[then_branch]/");
                if (layer.get("factorized").asBoolean()) {
                    assertThat(report.get("speed").get("slower").asBoolean()).isFalse();
                }
                continue;
            }
            if (!m.find()) {
                // not timed: rank 4 would not shrink it
                assertThat(note).contains("would not shrink");
                assertThat(layer.get("factorized").asBoolean()).isFalse();
                continue;
            }
            // the note rounds to two places: 1.00x may be a hair under 1 (faster) or at 1 (not)
            double atBatch = Double.parseDouble(m.group(1));
            double atOne = Double.parseDouble(m.group(2));
            if (layer.get("factorized").asBoolean()) {
                assertThat(Math.max(atBatch, atOne)).as(note).isLessThanOrEqualTo(1.0);
            } else {
                assertThat(Math.max(atBatch, atOne)).as(note).isGreaterThanOrEqualTo(1.0);
            }
        }

        // a setting the user chose wins
        Api.Response own = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("onlyIfFaster", false), "target", Map.of("speedup", 1.2)));
        assertThat(own.status()).isEqualTo(201);
        assertThat(own.json().get("parameters").get("onlyIfFaster").asBoolean()).isFalse();
        assertThat(own.json().get("parameters").has("timingBatchSize")).isFalse();
        // below 1 is not a speed-up
        assertThat(api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "target", Map.of("speedup", 0.5))).status()).isEqualTo(400);
    }

    @Test
    void badMethodParametersAreAllReportedAtSubmission() throws Exception {
        String model = uploadWakeWordHead();
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("energy", 1.5, "layers", List.of("no_such_layer"))));

        assertThat(r.status()).isEqualTo(422);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("errors").toString()).contains("energy").contains("no_such_layer");
    }

    @Test
    void aNegativeRankIsRefused() throws Exception {
        String model = uploadWakeWordHead();
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("rank", -3)));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").toString()).contains("rank");
    }

    @Test
    void fineTuningAModelWithOperatorsTheEngineCannotRunIsRefusedNamingThem() throws Exception {
        Api.Response up = api.postRaw("/v1/models", SmallModels.fashionMlpEndingInHardmax(3),
                MediaType.APPLICATION_OCTET_STREAM);
        assertThat(up.status()).isEqualTo(201);
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", up.json().get("id").asText(), "method", "svd",
                "parameters", Map.of("fineTune", true)));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("type").asText()).isEqualTo("urn:caas:problem:unsupported-operator");
        assertThat(r.json().get("operators").toString()).isEqualTo("[\"Hardmax\"]");
        assertThat(r.json().get("detail").asText()).contains("Hardmax").contains("use svd without fineTune");
    }

    /**
     * Silero VAD (shipped with openWakeWord): its Convs and LSTMs sit inside both branches of an If (one per sample
     * rate). The model is counted whole and its layers are listed by the branch that holds them; svd truncates the
     * Convs inside the branches and the artifact keeps its If; oialr, which would train them where they sit, is
     * refused for want of training data, not for where the layers are.
     */
    @Test
    void aModelWhoseLayersAreAllInsideControlFlowIsCompressedBySvdInsideItsBranches() throws Exception {
        byte[] silero = Files.readAllBytes(TestMaterial.file("openwakeword/package/models/silero_vad.onnx"));
        Api.Response up = api.postRaw("/v1/models", silero, MediaType.APPLICATION_OCTET_STREAM);
        assertThat(up.status()).isEqualTo(201);
        assertThat(up.json().get("parameters").asLong()).as("the weights inside the branches counted")
                .isGreaterThan(400_000);
        assertThat(up.json().get("unsupportedOperators")).as("LSTM, If, Equal: all run in the interpreter").isEmpty();
        List<JsonNode> inside = new ArrayList<>();
        up.json().get("layers").forEach(l -> {
            if (l.hasNonNull("subgraph")) {
                inside.add(l);
            }
        });
        assertThat(inside).as("every layer sits in a branch").hasSize(up.json().get("layers").size()).isNotEmpty();
        for (JsonNode l : inside) {
            assertThat(l.get("node").asText()).startsWith(l.get("subgraph").asText() + "/");
            assertThat(l.get("subgraph").asText()).matches("(/If[^\\[]*\\[(then|else)_branch\\])+");
        }
        String model = up.json().get("id").asText();
        Api.Response oialr = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "oialr"));
        assertThat(oialr.status()).isEqualTo(422);
        assertThat(oialr.json().get("errors").toString()).contains("needs a training dataset")
                .doesNotContain("no layer for oialr");

        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("ratio", 0.3, "onlyIfFaster", false)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        String id = submitted.json().get("id").asText();
        JsonNode job = api.awaitJob(id, Duration.ofMinutes(5), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        assertThat(job.get("result").get("parametersAfter").asLong())
                .isLessThan(job.get("result").get("parametersBefore").asLong());
        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        List<String> cut = new ArrayList<>();
        report.get("layers").forEach(l -> {
            if (l.get("factorized").asBoolean()) {
                cut.add(l.get("node").asText());
            }
        });
        assertThat(cut).as(report.get("layers").toString()).isNotEmpty()
                .allSatisfy(n -> assertThat(n).startsWith("/If"));
        var artifact = OnnxModels.parse(api.get("/v1/jobs/" + id + "/artifact").body());
        assertThat(artifact.getGraph().getNodeList()).extracting(n -> n.getOpType()).contains("If");
        assertThat(ModelInspector.inspect(artifact).parameters())
                .isEqualTo(job.get("result").get("parametersAfter").asLong());
    }

    /**
     * The README's walk-through model fine-tuned by oialr: hey_jarvis declares a batch of 1 and its If takes a
     * condition computed from that one sample, so training runs each batch's samples one at a time (before, the If
     * refused a batch's conditions and the job failed). Distils the original on Gaussian features.
     */
    @Test
    void anOialrJobTrainsHeyJarvisOneSampleAtATime() throws Exception {
        String model = uploadWakeWordHead();
        Api.Response data = api.postMultipart("/v1/datasets", "features.npz",
                FloatNpz.of(FloatNpz.gaussian(11, 32, 16, 96), 32, 16, 96));
        assertThat(data.status()).as(new String(data.body())).isEqualTo(201);
        Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "oialr",
                "trainDatasetId", data.json().get("id").asText(), "parameters", Map.of("frequency", 2),
                "budget", Map.of("maxSteps", 4, "batchSize", 8)));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        String id = submitted.json().get("id").asText();
        JsonNode job = api.awaitJob(id, Duration.ofMinutes(3), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        JsonNode report = api.get("/v1/jobs/" + id + "/report").json();
        assertThat(report.get("curves").get("loss")).hasSize(4);
        assertThat(runInOnnxRuntime(api.get("/v1/jobs/" + id + "/artifact").body(), new long[] {1, 16, 96}))
                .hasSize(1);
    }

    @Test
    void unknownMethodModelAndDatasetAreNamed() {
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                "method", "magic", "trainDatasetId", "2b4e28ba-2fa1-11d2-883f-0016d3cca427"));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").toString()).contains("model 1b4e28ba").contains("unknown method 'magic'")
                .contains("dataset 2b4e28ba");
    }

    @Test
    void aJobOnADeletedModelIsRefused() throws Exception {
        String model = uploadWakeWordHead();
        assertThat(api.delete("/v1/models/" + model).status()).isEqualTo(204);
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd"));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").get(0).asText()).contains("not found");
    }

    @Test
    void missingFieldsAndOutOfRangeBudgetAreBadRequests() {
        Api.Response r = api.postJson("/v1/jobs", Map.of("method", "", "budget", Map.of("epochs", -1)));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("errors").toString()).contains("modelId").contains("method").contains("budget.epochs");
    }

    @Test
    void aStepBudgetOverTheServiceLimitIsRefused() throws Exception {
        String model = uploadWakeWordHead();
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "budget", Map.of("maxSteps", 1_000_000_000)));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").toString()).contains("budget.maxSteps").contains("100000");
    }

    @Test
    void unknownKindsOfWeightsToTrainAreRefused() throws Exception {
        String model = uploadWakeWordHead();
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "budget", Map.of("train", List.of("compressed", "everything"))));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("errors").toString()).contains("budget.train").contains("'everything'")
                .contains("compressed, other, normalization, embeddings");
        r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd", "budget", Map.of("train", List.of())));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").toString()).contains("budget.train: name at least one");
    }

    @Test
    void embeddingUpdatesMustBeKnownAndApplyToTrainedEmbeddings() throws Exception {
        String model = uploadWakeWordHead();
        long before = api.get("/v1/jobs?limit=200").json().get("items").size();
        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "budget", Map.of("train", List.of("compressed", "embeddings"), "embeddingUpdates", "lazy")));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("errors").toString()).contains("budget.embeddingUpdates: unknown 'lazy'")
                .contains("dense, sparse");
        r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "budget", Map.of("embeddingUpdates", "sparse")));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").toString()).contains("add embeddings to budget.train");
        assertThat(api.get("/v1/jobs?limit=200").json().get("items").size()).isEqualTo(before);
        r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd", "parameters", Map.of("energy", 0.8),
                "budget", Map.of("train", List.of("compressed", "embeddings"), "embeddingUpdates", "sparse")));
        assertThat(r.status()).isEqualTo(201);
        String id = r.json().get("id").asText();
        assertThat(api.get("/v1/jobs/" + id).json().get("budget").get("embeddingUpdates").asText())
                .as("kept with the job").isEqualTo("sparse");
        api.awaitJob(id, Duration.ofSeconds(60), FINAL);
    }

    /** What a request may ask to measure is typed: anything else is a 400 problem, and no job is kept. */
    @Test
    void aMeasureOfTheWrongTypeIsABadRequestAndNoJobIsKept() throws Exception {
        String model = uploadWakeWordHead();
        long before = api.get("/v1/jobs?limit=200").json().get("items").size();
        for (Object measure : List.of(Map.of("interpreterLatency", "often"), "yes",
                Map.of("interpreterLatency", List.of(true)))) {
            Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd", "measure", measure));
            assertThat(r.status()).as(String.valueOf(measure)).isEqualTo(400);
            assertThat(r.contentType()).isEqualTo("application/problem+json");
        }
        assertThat(api.get("/v1/jobs?limit=200").json().get("items").size()).isEqualTo(before);
    }

    @Test
    void malformedJsonIsABadRequest() {
        Api.Response r = api.postRaw("/v1/jobs", "{not json".getBytes(), MediaType.APPLICATION_JSON);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
    }

    @Test
    void anIdempotencyKeyReturnsTheFirstJobAndRefusesADifferentRequest() throws Exception {
        String model = uploadWakeWordHead();
        HttpHeaders key = new HttpHeaders();
        key.set("Idempotency-Key", "retry-" + model);
        Map<String, Object> body = Map.of("modelId", model, "method", "svd", "parameters", Map.of("energy", 0.8));

        Api.Response first = api.postJson("/v1/jobs", body, key);
        Api.Response again = api.postJson("/v1/jobs", body, key);
        Api.Response different = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("energy", 0.7)), key);

        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.headers().getFirst("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.json().get("id")).isEqualTo(first.json().get("id"));
        assertThat(different.status()).isEqualTo(422);
        api.awaitJob(first.json().get("id").asText(), Duration.ofSeconds(60), FINAL);
    }

    @Test
    void unknownJobsAndUnfinishedArtifacts() throws Exception {
        assertThat(api.get("/v1/jobs/1b4e28ba-2fa1-11d2-883f-0016d3cca427").status()).isEqualTo(404);
        assertThat(api.get("/v1/jobs/1b4e28ba-2fa1-11d2-883f-0016d3cca427/events").status()).isEqualTo(404);
        assertThat(api.postJson("/v1/jobs/1b4e28ba-2fa1-11d2-883f-0016d3cca427/cancel", Map.of()).status()).isEqualTo(404);

        String model = uploadWakeWordHead();
        String id = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd")).json().get("id").asText();
        JsonNode done = api.awaitJob(id, Duration.ofSeconds(60), FINAL);
        assertThat(done.get("status").asText()).isEqualTo("succeeded");
        Api.Response cancelFinished = api.postJson("/v1/jobs/" + id + "/cancel", Map.of());
        assertThat(cancelFinished.status()).isEqualTo(409);
        assertThat(cancelFinished.contentType()).isEqualTo("application/problem+json");
    }

    @Test
    void listingFiltersByStatus() throws Exception {
        String model = uploadWakeWordHead();
        String id = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd")).json().get("id").asText();
        api.awaitJob(id, Duration.ofSeconds(60), FINAL);

        JsonNode succeeded = api.get("/v1/jobs?status=succeeded&limit=500").json();
        JsonNode failed = api.get("/v1/jobs?status=failed&limit=500").json();
        assertThat(succeeded.get("items").findValuesAsText("id")).contains(id);
        assertThat(failed.get("items").findValuesAsText("id")).doesNotContain(id);
        succeeded.get("items").forEach(j -> assertThat(j.get("status").asText()).isEqualTo("succeeded"));
        assertThat(api.get("/v1/jobs?status=bogus").status()).isEqualTo(400);
    }

    @Test
    void methodsAreListedWithTheirParameters() {
        JsonNode methods = api.get("/v1/methods").json().get("items");
        JsonNode svd = null;
        for (JsonNode m : methods) {
            if (m.get("name").asText().equals("svd")) {
                svd = m;
            }
        }
        assertThat(svd).isNotNull();
        assertThat(svd.get("parameters").findValuesAsText("name")).contains("energy", "ratio", "rank", "layers",
                "maxAccuracyDrop");
        assertThat(svd.get("layerKinds").toString()).contains("DENSE").contains("CONV");
        // the defaults never keep a slower model: the speed check is on unless a request turns it off
        for (JsonNode m : methods) {
            if (m.get("name").asText().equals("svd") || m.get("name").asText().equals("oialr")) {
                JsonNode check = null;
                for (JsonNode p : m.get("parameters")) {
                    if (p.get("name").asText().equals("onlyIfFaster")) {
                        check = p;
                    }
                }
                assertThat(check).as(m.get("name").asText()).isNotNull();
                assertThat(check.get("defaultValue").asBoolean()).isTrue();
            }
        }
    }

    static float[] runInOnnxRuntime(byte[] model, long[] shape) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions())) {
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            float[] input = new float[n];
            for (int i = 0; i < n; i++) {
                input[i] = (float) Math.sin(i * 0.01);
            }
            String name = session.getInputNames().iterator().next();
            try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                 OrtSession.Result r = session.run(Map.of(name, t))) {
                float[][] out = (float[][]) r.get(0).getValue();
                return out[0];
            }
        }
    }
}
