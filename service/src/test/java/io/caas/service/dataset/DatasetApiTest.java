package io.caas.service.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.service.support.Api;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.SmallModels;
import io.caas.service.support.TestMaterial;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

class DatasetApiTest extends H2ServiceTest {

    @Test
    void fashionMnistAsAnIdxZipIsRegisteredWithItsShapeAndClasses() throws Exception {
        Api.Response r = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip());

        assertThat(r.status()).as(new String(r.body())).isEqualTo(201);
        JsonNode d = r.json();
        assertThat(d.get("format").asText()).isEqualTo("idx");
        assertThat(d.get("samples").asInt()).isEqualTo(10_000);
        assertThat(d.get("sampleShape").toString()).isEqualTo("[1,28,28]");
        assertThat(d.get("classes").asInt()).isEqualTo(10);
        assertThat(d.get("labelled").asBoolean()).isTrue();
        assertThat(d.has("storageKey")).isFalse();
        assertThat(api.get("/v1/datasets/" + d.get("id").asText()).json().get("samples").asInt()).isEqualTo(10_000);
    }

    @Test
    void csvAsARawBodyIsRegistered() throws Exception {
        Api.Response r = api.postRaw("/v1/datasets?filename=fashion.csv&name=fashion-500",
                FashionMnistFiles.testSplitCsv(500), MediaType.APPLICATION_OCTET_STREAM);

        assertThat(r.status()).as(new String(r.body())).isEqualTo(201);
        assertThat(r.json().get("format").asText()).isEqualTo("csv");
        assertThat(r.json().get("samples").asInt()).isEqualTo(500);
        assertThat(r.json().get("sampleShape").toString()).isEqualTo("[784]");
        assertThat(r.json().get("name").asText()).isEqualTo("fashion-500");
    }

    @Test
    void aZipSlipArchiveIsRefusedAndNothingIsKept() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("../../escape/cat.png"));
            zip.write(new byte[] {1, 2, 3});
            zip.closeEntry();
        }
        List<Path> before = stored();
        Api.Response r = api.postMultipart("/v1/datasets", "images.zip", out.toByteArray());

        assertThat(r.status()).isEqualTo(422);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().get("type").asText()).isEqualTo("urn:caas:problem:invalid-dataset");
        assertThat(stored()).isEqualTo(before);
    }

    @Test
    void garbageAndUnknownFormatsAreRefused() throws Exception {
        Api.Response garbage = api.postMultipart("/v1/datasets", "data.npz", "PK garbage".getBytes());
        assertThat(garbage.status()).isEqualTo(422);
        assertThat(garbage.json().get("detail").asText()).isNotBlank();

        Api.Response format = api.postRaw("/v1/datasets?format=parquet", "1,2,3\n".getBytes(),
                MediaType.APPLICATION_OCTET_STREAM);
        assertThat(format.status()).isEqualTo(422);
        assertThat(format.json().get("detail").asText()).contains("parquet");
    }

    @Test
    void anOversizeDatasetIsRefused() throws Exception {
        Path big = TestMaterial.file("paddleocr/package/assets/ch_PP-OCRv4_rec_infer.onnx");
        Api.Response r = api.postRaw("/v1/datasets?filename=big.csv", Files.readAllBytes(big),
                MediaType.APPLICATION_OCTET_STREAM);
        assertThat(r.status()).isEqualTo(413);
    }

    @Test
    void aDatasetWhoseShapeDoesNotFitTheModelIsRefusedAtSubmission() throws Exception {
        String dataset = api.postRaw("/v1/datasets?filename=fashion.csv", FashionMnistFiles.testSplitCsv(50),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String model = api.postRaw("/v1/models", Files.readAllBytes(TestMaterial.wakeWordHead()),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();

        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd", "evalDatasetId", dataset));

        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").get(0).asText()).contains("[784]").contains("[1, 16, 96]");
    }

    @Test
    void labelsOfMoreClassesThanTheModelScoresAreRefusedAtSubmissionSayingBoth() throws Exception {
        String dataset = api.postMultipart("/v1/datasets", "fashion-train-200.zip",
                FashionMnistFiles.trainSplitIdxZip(200)).json().get("id").asText();
        String five = api.postRaw("/v1/models?name=five", SmallModels.fashionMlpOf(5, 1),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String ten = api.postRaw("/v1/models?name=ten", SmallModels.fashionMlpOf(10, 1),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();

        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", five, "method", "svd", "evalDatasetId", dataset));

        assertThat(r.status()).as(new String(r.body())).isEqualTo(422);
        assertThat(r.json().get("errors").get(0).asText()).contains("labels of 10 classes", "(5 classes)",
                "labelled=false");
        // the same dataset on a model that scores its ten classes is taken
        assertThat(api.postJson("/v1/jobs", Map.of("modelId", ten, "method", "svd", "evalDatasetId", dataset))
                .status()).isEqualTo(201);
    }

    @Test
    void aJobWithEvaluationDataReportsAccuracyBeforeAndAfter() throws Exception {
        String dataset = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        String model = api.postRaw("/v1/models?name=mlp", SmallModels.fashionMlp(64, 7),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();

        String job = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd", "evalDatasetId", dataset,
                "parameters", Map.of("rank", 8, "skipFirstAndLast", false),
                "target", Map.of("maxAccuracyDrop", 1.0, "compressionRatio", 0.001))).json().get("id").asText();
        JsonNode done = api.awaitJob(job, Duration.ofSeconds(90), Set.of("succeeded", "failed", "cancelled"));

        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("succeeded");
        JsonNode report = api.get("/v1/jobs/" + job + "/report").json();
        double before = report.get("original").get("top1Accuracy").asDouble();
        double after = report.get("compressed").get("top1Accuracy").asDouble();
        assertThat(before).isBetween(0.0, 1.0);
        assertThat(after).isBetween(0.0, 1.0);
        assertThat(report.get("original").get("evaluatedSamples").asInt()).isPositive();
        // not asked for: the engine's own interpreter did not time them, and the report says how to ask
        assertThat(done.get("measure").get("interpreterLatency").asBoolean()).isFalse();
        assertThat(report.get("interpreter").hasNonNull("original")).isFalse();
        assertThat(report.get("interpreter").hasNonNull("compressed")).isFalse();
        assertThat(report.get("interpreter").get("note").asText()).contains("measure.interpreterLatency");
        assertThat(report.get("accuracyDelta").asDouble()).isCloseTo(after - before, org.assertj.core.data.Offset.offset(1e-9));
        // the same delta in the metrics, its unit in its name
        String metrics = new String(io.caas.service.support.Api.withToken(port,
                io.caas.service.support.TestTenants.METRICS_TOKEN).get("/actuator/prometheus").body());
        assertThat(metrics).contains("caas_jobs_accuracy_delta_points_count{application=\"caas\",method=\"svd\"}");
        assertThat(done.get("result").get("accuracyDelta").asDouble()).isEqualTo(report.get("accuracyDelta").asDouble());
        // any drop is within 100 points; rank 8 cannot reach 0.1 % of the parameters
        assertThat(report.get("target").get("accuracyDropMet").asBoolean()).isTrue();
        assertThat(report.get("target").get("compressionRatioMet").asBoolean()).isFalse();
        assertThat(done.get("result").get("targetMet").asBoolean()).isFalse();

        // the dataset is in use only while the job runs; now it can go
        assertThat(api.delete("/v1/datasets/" + dataset).status()).isEqualTo(204);
        assertThat(api.get("/v1/datasets/" + dataset).status()).isEqualTo(404);
    }

    @Test
    void anAccuracyTargetWithLabelledTrainingDataChoosesSvdsRanksAndIsOnlyCheckedWithout() throws Exception {
        String train = api.postMultipart("/v1/datasets", "fashion-train-2000.zip",
                FashionMnistFiles.trainSplitIdxZip(2000)).json().get("id").asText();
        String test = api.postMultipart("/v1/datasets", "fashion-t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        String model = api.postRaw("/v1/models?name=mlp", SmallModels.fashionMlp(64, 7),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();

        Api.Response steered = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "trainDatasetId", train, "evalDatasetId", test,
                // the speed check off: it could return the original on a loaded machine's timings, and what is
                // under test is the accuracy budget's choice of ranks
                "parameters", Map.of("skipFirstAndLast", false, "onlyIfFaster", false),
                "target", Map.of("maxAccuracyDrop", 0.05)));
        assertThat(steered.status()).as(new String(steered.body())).isEqualTo(201);
        // the job shows what it runs with: svd's accuracy budget, measured on the training data
        assertThat(steered.json().get("parameters").get("maxAccuracyDrop").asDouble()).isEqualTo(0.05);
        JsonNode done = api.awaitJob(steered.json().get("id").asText(), Duration.ofMinutes(3),
                Set.of("succeeded", "failed", "cancelled"));
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("succeeded");
        JsonNode report = api.get("/v1/jobs/" + done.get("id").asText() + "/report").json();
        for (JsonNode layer : report.get("layers")) {
            if (layer.get("factorized").asBoolean()) {
                assertThat(layer.get("note").asText()).contains("by the accuracy budget");
            }
        }
        JsonNode events = api.get("/v1/jobs/" + done.get("id").asText() + "/events?limit=5000").json().get("items");
        assertThat(events.toString()).contains("ranks chosen for the accuracy budget");

        // a size the request chose wins, and without training data the target is only checked
        Api.Response sized = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "trainDatasetId", train, "parameters", Map.of("rank", 8), "target", Map.of("maxAccuracyDrop", 0.05)));
        assertThat(sized.json().get("parameters").has("maxAccuracyDrop")).isFalse();
        Api.Response checked = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "evalDatasetId", test, "target", Map.of("maxAccuracyDrop", 0.05)));
        assertThat(checked.status()).isEqualTo(201);
        assertThat(checked.json().get("parameters").has("maxAccuracyDrop")).isFalse();
        for (Api.Response r : List.of(sized, checked)) {
            api.awaitJob(r.json().get("id").asText(), Duration.ofMinutes(3), Set.of("succeeded", "failed", "cancelled"));
        }
    }

    @Test
    void aSpeedTargetChoosesSvdsRanksAndTheAccuracyTargetIsThenChecked() throws Exception {
        String train = api.postMultipart("/v1/datasets", "fashion-train-2000.zip",
                FashionMnistFiles.trainSplitIdxZip(2000)).json().get("id").asText();
        String model = api.postRaw("/v1/models?name=mlp", SmallModels.fashionMlp(256, 7),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();

        Api.Response steered = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "trainDatasetId", train, "evalDatasetId", train, "parameters", Map.of("skipFirstAndLast", false),
                "target", Map.of("speedup", 1.3, "maxAccuracyDrop", 0.05)));
        assertThat(steered.status()).as(new String(steered.body())).isEqualTo(201);
        // the job shows what it runs with: the speed target chooses the ranks, at the batch the report times
        JsonNode parameters = steered.json().get("parameters");
        assertThat(parameters.get("targetSpeedup").asDouble()).isEqualTo(1.3);
        assertThat(parameters.get("timingBatchSize").asInt()).isEqualTo(32);
        assertThat(parameters.has("maxAccuracyDrop")).isFalse();
        JsonNode done = api.awaitJob(steered.json().get("id").asText(), Duration.ofMinutes(5),
                Set.of("succeeded", "failed", "cancelled"));
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("succeeded");
        JsonNode report = api.get("/v1/jobs/" + done.get("id").asText() + "/report").json();
        for (JsonNode layer : report.get("layers")) {
            String note = layer.get("note").asText();
            if (layer.get("factorized").asBoolean()) {
                assertThat(note).contains("by the speed target").contains("timed in ONNX Runtime");
            } else {
                assertThat(note).containsAnyOf("by the speed target", "not faster");
            }
        }
        // both targets are answered: the speed-up as timed in the report, the accuracy on the evaluation data
        assertThat(report.get("target").get("speedupMet").isBoolean()).isTrue();
        assertThat(report.get("target").get("accuracyDropMet").isBoolean()).isTrue();
        JsonNode events = api.get("/v1/jobs/" + done.get("id").asText() + "/events?limit=5000").json().get("items");
        assertThat(events.toString()).contains("ranks chosen for a 1.30x speed-up");
    }

    static List<Path> stored() throws IOException {
        Path dir = DATA_DIR.resolve("artifacts/datasets");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
