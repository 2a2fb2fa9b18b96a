package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.service.support.Api;
import io.caas.service.support.FloatNpz;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.OrtOutputs;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * svd and oialr jobs through the REST API on the torch.jit.script model PyTorch 1.13 exported with a data-dependent
 * if and a loop (engine test resources, scripts/export-recurrent-models.sh): the Linear of the else-branch and the
 * Linear of the loop body are listed by their subgraph, truncated (svd) or trained in low-rank form (oialr) where they
 * sit, and the artifact keeps its If and Loop and runs in ONNX Runtime as the report says it agrees with the
 * original. The inputs lie below 0 on average, so the else-branch, with its compressed layer, is the one taken.
 */
class ControlFlowJobsTest extends H2ServiceTest {

    private static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");
    private static final int SAMPLES = 32;
    private static final long[] SHAPE = {SAMPLES, 4, 8};
    private static final float[] INPUTS = shifted(FloatNpz.gaussian(21, SHAPE), -1f);

    @Test
    void svdTruncatesTheLinearLayersInsideTheIfAndTheLoop() throws Exception {
        byte[] original = scripted();
        String model = upload(original);
        String data = dataset();
        JsonNode job = run(Map.of("modelId", model, "method", "svd", "evalDatasetId", data,
                "parameters", Map.of("rank", 4, "onlyIfFaster", false)));
        // the head is the last layer, kept dense by skipFirstAndLast; the two Linear layers inside control flow are
        // cut; the then-branch's Conv1d (4 → 4, kernel 3: rank 4 is its full rank) stays dense
        assertThat(compressedLayers(job, 4)).containsExactlyInAnyOrder("/If[else_branch]/wide/Gemm",
                "/Loop[body]/inner/Gemm");
        // their MACs per run of their body, before and after: 32·32 against the two factors' 4·(32 + 32)
        JsonNode nested = api.get("/v1/jobs/" + job.get("id").asText() + "/report").json().get("macs").get("nested");
        java.util.Map<String, long[]> macs = new java.util.HashMap<>();
        nested.forEach(l -> macs.put(l.get("node").asText(),
                new long[] {l.get("macsBefore").asLong(), l.get("macsAfter").asLong()}));
        assertThat(macs.get("/If[else_branch]/wide/Gemm")).containsExactly(32L * 32, 4L * (32 + 32));
        assertThat(macs.get("/Loop[body]/inner/Gemm")).containsExactly(32L * 32, 4L * (32 + 32));
        assertArtifactKeepsItsControlFlowAndAgrees(job, original);
    }

    /**
     * oialr distils the original into low-rank layers inside the branch taken and the loop body, under a target
     * compression ratio (these untrained weights have flat spectra, which σ cutoff leaves whole).
     */
    @Test
    void oialrTrainsTheLinearLayersInsideTheIfAndTheLoopInLowRank() throws Exception {
        byte[] original = scripted();
        String model = upload(original);
        String data = dataset();
        JsonNode job = run(Map.of("modelId", model, "method", "oialr", "trainDatasetId", data,
                "evalDatasetId", data, "parameters", Map.of("frequency", 5),
                "target", Map.of("compressionRatio", 0.7),
                "budget", Map.of("maxSteps", 20, "batchSize", 16, "learningRate", 1e-3)));
        assertThat(compressedLayers(job, -1)).contains("/If[else_branch]/wide/Gemm", "/Loop[body]/inner/Gemm");
        assertArtifactKeepsItsControlFlowAndAgrees(job, original);
        JsonNode report = api.get("/v1/jobs/" + job.get("id").asText() + "/report").json();
        assertThat(report.get("curves").has("loss")).isTrue();
    }

    private String upload(byte[] original) throws Exception {
        Api.Response up = api.postRaw("/v1/models?name=scripted", original, MediaType.APPLICATION_OCTET_STREAM);
        assertThat(up.status()).as(new String(up.body())).isEqualTo(201);
        Map<String, String> subgraphOf = new java.util.LinkedHashMap<>();
        up.json().get("layers").forEach(l -> subgraphOf.put(l.get("node").asText(), l.hasNonNull("subgraph")
                ? l.get("subgraph").asText() : "main graph"));
        assertThat(subgraphOf).containsExactly(Map.entry("/head/Gemm", "main graph"),
                Map.entry("/If[then_branch]/conv/Conv", "/If[then_branch]"),
                Map.entry("/If[else_branch]/wide/Gemm", "/If[else_branch]"),
                Map.entry("/Loop[body]/inner/Gemm", "/Loop[body]"));
        up.json().get("layers").forEach(l -> assertThat(l.get("methods").toString()).contains("\"svd\"")
                .contains("\"oialr\""));
        return up.json().get("id").asText();
    }

    private String dataset() throws Exception {
        Api.Response data = api.postMultipart("/v1/datasets", "inputs.npz", FloatNpz.of(INPUTS, SHAPE));
        assertThat(data.status()).as(new String(data.body())).isEqualTo(201);
        return data.json().get("id").asText();
    }

    private JsonNode run(Map<String, Object> request) throws Exception {
        Api.Response submitted = api.postJson("/v1/jobs", request);
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        JsonNode job = api.awaitJob(submitted.json().get("id").asText(), Duration.ofMinutes(3), FINAL);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        return job;
    }

    /** The layers the report says were factorized, each at {@code rank} (any lower rank where it is -1). */
    private List<String> compressedLayers(JsonNode job, int rank) throws Exception {
        JsonNode report = api.get("/v1/jobs/" + job.get("id").asText() + "/report").json();
        List<String> cut = new ArrayList<>();
        report.get("layers").forEach(l -> {
            if (l.get("factorized").asBoolean()) {
                cut.add(l.get("node").asText());
                if (rank > 0) {
                    assertThat(l.get("finalRank").asInt()).isEqualTo(rank);
                } else {
                    assertThat(l.get("finalRank").asInt()).isLessThan(l.get("originalRank").asInt());
                }
            }
        });
        return cut;
    }

    private void assertArtifactKeepsItsControlFlowAndAgrees(JsonNode job, byte[] original) throws Exception {
        String id = job.get("id").asText();
        byte[] artifact = api.get("/v1/jobs/" + id + "/artifact").body();
        var compressed = OnnxModels.parse(artifact);
        assertThat(compressed.getGraph().getNodeList()).extracting(n -> n.getOpType()).contains("If", "Loop");
        assertThat(ModelInspector.inspect(compressed).parameters())
                .isEqualTo(job.get("result").get("parametersAfter").asLong())
                .isLessThan(job.get("result").get("parametersBefore").asLong());
        // every sample at once: the scripted model's if reads the batch's mean, as the report's agreement run does
        double maxAbsDiff = OrtOutputs.maxAbsDiff(OrtOutputs.firstOutput(original, INPUTS, SHAPE),
                OrtOutputs.firstOutput(artifact, INPUTS, SHAPE));
        JsonNode agreement = api.get("/v1/jobs/" + id + "/report").json().get("agreement");
        assertThat(agreement.get("samples").asInt()).isEqualTo(SAMPLES);
        assertThat(maxAbsDiff).as("the compressed layers are on the path taken").isPositive()
                .isLessThanOrEqualTo(agreement.get("maxAbsDiff").asDouble() * (1 + 1e-4) + 1e-6);
    }

    private byte[] scripted() throws Exception {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(
                "pytorch-exports/scripted-branches.onnx")) {
            return in.readAllBytes();
        }
    }

    private static float[] shifted(float[] values, float by) {
        for (int i = 0; i < values.length; i++) {
            values[i] += by;
        }
        return values;
    }
}
