package io.caas.service.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.testing.Mutations;
import io.caas.service.support.Api;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.SmallModels;
import io.caas.service.support.TestMaterial;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * Mutated real models and datasets sent through the REST API, as a hostile or careless client would: every one
 * is either accepted (201) or refused with a problem+json 4xx, quickly, nothing is a 5xx, the service stays up,
 * and storage keeps exactly the files of the accepted uploads (a refused upload leaves nothing behind).
 * The engine's own fuzz tests (HostileOnnxTest, HostileDatasetTest) go deeper on the parsers; this one proves
 * the whole path, HTTP to storage.
 */
class HostileUploadTest extends H2ServiceTest {

    static final int CASES_PER_SEED = 60;
    static final Duration SLOWEST_ANSWER = Duration.ofSeconds(20);

    record Outcome(int status, String type) {
    }

    @Test
    void mutatedModelsAndDatasetsAreAcceptedOrRefusedCleanlyAndRefusedOnesLeaveNothing() throws Exception {
        Map<String, byte[]> models = Map.of(
                "wake-word head", Files.readAllBytes(TestMaterial.wakeWordHead()),
                "fashion mlp", SmallModels.fashionMlp(32, 3));
        Map<String, byte[]> datasets = Map.of(
                "fashion.csv", FashionMnistFiles.testSplitCsv(40),
                "fashion-idx.zip", FashionMnistFiles.trainSplitIdxZip(40));

        long modelFilesBefore = files("models");
        long datasetFilesBefore = files("datasets");
        Map<String, Integer> outcomes = new TreeMap<>();
        int acceptedModels = 0;
        int acceptedDatasets = 0;
        SplittableRandom random = new SplittableRandom(20261123);
        for (var seed : models.entrySet()) {
            for (int i = 0; i < CASES_PER_SEED; i++) {
                Outcome o = send(api, "/v1/models", seed.getKey() + ".onnx",
                        Mutations.mutate(seed.getValue(), random), seed.getKey() + " #" + i);
                outcomes.merge("model " + o.status() + " " + o.type(), 1, Integer::sum);
                acceptedModels += o.status() == 201 ? 1 : 0;
            }
        }
        for (var seed : datasets.entrySet()) {
            for (int i = 0; i < CASES_PER_SEED; i++) {
                Outcome o = send(api, "/v1/datasets", seed.getKey(), Mutations.mutate(seed.getValue(), random),
                        seed.getKey() + " #" + i);
                outcomes.merge("dataset " + o.status() + " " + o.type(), 1, Integer::sum);
                acceptedDatasets += o.status() == 201 ? 1 : 0;
            }
        }
        System.out.println("hostile uploads, outcome counts: " + outcomes);

        assertThat(Api.anonymous(port).get("/actuator/health").status()).isEqualTo(200);
        assertThat(files("models") - modelFilesBefore).as("stored model files = accepted uploads")
                .isEqualTo(acceptedModels);
        assertThat(files("datasets") - datasetFilesBefore).as("stored dataset files = accepted uploads")
                .isEqualTo(acceptedDatasets);
        // the mutations matter: both parsers refused some inputs (many model mutations only touch weight bytes,
        // which leaves a valid model)
        assertThat(acceptedModels).isLessThan(models.size() * CASES_PER_SEED);
        assertThat(acceptedDatasets).isLessThan(datasets.size() * CASES_PER_SEED);
    }

    Outcome send(Api api, String path, String filename, byte[] bytes, String label) {
        long start = System.nanoTime();
        Api.Response r = api.postMultipart(path, filename, bytes);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).as("%s answered in %s", label, took).isLessThan(SLOWEST_ANSWER);
        if (r.status() == 201) {
            return new Outcome(201, "");
        }
        assertThat(r.status()).as("%s: %s", label, new String(r.body())).isBetween(400, 499);
        assertThat(r.contentType()).as(label).isEqualTo("application/problem+json");
        String body = new String(r.body());
        assertThat(body).as(label).doesNotContain("Exception").doesNotContain("\tat ");
        return new Outcome(r.status(), r.json().path("type").asText().replace("urn:caas:problem:", ""));
    }

    long files(String kind) throws IOException {
        Path dir = DATA_DIR.resolve("artifacts").resolve(kind);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
