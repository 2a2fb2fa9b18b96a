package io.caas.service.job;

import io.caas.service.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.service.storage.ArtifactStore;
import io.caas.service.storage.FileSystemArtifactStore;
import io.caas.service.storage.StorageException;
import io.caas.service.storage.StoredEntry;
import io.caas.service.storage.StoredObject;
import io.caas.service.support.Api;
import io.caas.service.support.TestMaterial;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A disk that fills up while a job writes its artifact: the job fails with the reason and serves nothing. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class ArtifactStoreFailureTest {

    private static final Path DATA_DIR = TempDirs.create("caas-fulldisk-test");

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("caas.data-dir", DATA_DIR::toString);
    }

    @TestConfiguration
    static class FullDisk {
        /** Uploads work; writing a job's artifact fails as a full disk does. */
        @Bean
        @Primary
        ArtifactStore fullForArtifacts() {
            ArtifactStore real = new FileSystemArtifactStore(DATA_DIR.resolve("artifacts"));
            return new ArtifactStore() {
                @Override
                public StoredObject put(String key, InputStream content, long maxBytes) {
                    return real.put(key, content, maxBytes);
                }

                @Override
                public StoredObject putFile(String key, Path file) {
                    throw new StorageException("cannot write " + key + ": No space left on device",
                            new IOException("No space left on device"));
                }

                @Override
                public InputStream open(String key) {
                    return real.open(key);
                }

                @Override
                public LocalCopy localCopy(String key) {
                    return real.localCopy(key);
                }

                @Override
                public boolean exists(String key) {
                    return real.exists(key);
                }

                @Override
                public void delete(String key) {
                    real.delete(key);
                }

                @Override
                public List<StoredEntry> list() {
                    return real.list();
                }

                @Override
                public int removeUnfinishedWrites(Instant untouchedSince) {
                    return real.removeUnfinishedWrites(untouchedSince);
                }
            };
        }
    }

    @LocalServerPort
    int port;

    @Test
    void theJobFailsWithTheReasonAndNoArtifactIsServed() throws Exception {
        Api api = new Api(port);
        byte[] bytes = Files.readAllBytes(TestMaterial.wakeWordHead());
        String model = api.postRaw("/v1/models", bytes, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String id = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd")).json().get("id").asText();

        JsonNode job = api.awaitJob(id, Duration.ofSeconds(60), Set.of("succeeded", "failed", "cancelled"));

        assertThat(job.get("status").asText()).isEqualTo("failed");
        assertThat(job.get("error").asText()).contains("No space left on device");
        assertThat(job.has("artifact")).isFalse();
        assertThat(api.get("/v1/jobs/" + id + "/artifact").status()).isEqualTo(409);
        assertThat(Files.exists(DATA_DIR.resolve("artifacts/artifacts/" + id + ".onnx"))).isFalse();
    }
}
