package io.caas.service.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.service.support.Api;
import io.caas.service.support.ContainerImages;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.SmallModels;
import io.caas.service.support.TestTenants;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The service's image as deployed: an API container and a worker container of the image built from this checkout
 * (CAAS_TEST_APP_IMAGE), on PostgreSQL in a third, sharing an artifact volume. Each is waited for by the image's
 * own HEALTHCHECK; then an operator makes a tenant, uploads a model and a training set, and a fine-tuning job must
 * run on the worker container, whose libtorch comes out of the image offline into its DJL cache. Skipped, saying
 * so, without a Docker engine or without the image.
 */
@Testcontainers(disabledWithoutDocker = true)
class AppImageSmokeTest {

    private static final String ADMIN_TOKEN = "smoke-test-admin-token-" + UUID.randomUUID();
    private static final Path LOGS = Path.of("target", "container-logs");

    @Test
    void apiAndWorkerContainersOnPostgresFineTuneAnUploadedModel() throws Exception {
        Optional<DockerImageName> image = ContainerImages.app();
        assumeTrue(image.isPresent(), "no app image to test: set " + ContainerImages.APP_VARIABLE
                + " to one built by `mvn -DskipTests package && docker build -t caas .` (.ci/run does)");
        String volume = "caas-smoke-" + UUID.randomUUID();
        Files.createDirectories(LOGS);
        try (Network network = Network.newNetwork();
             PostgreSQLContainer<?> postgres = new PostgreSQLContainer<>(ContainerImages.postgres())
                     .withNetwork(network).withNetworkAliases("postgres");
             GenericContainer<?> api = node(image.get(), "api", network, volume, postgres).withExposedPorts(8080);
             GenericContainer<?> worker = node(image.get(), "worker", network, volume, postgres)) {
            postgres.start();
            api.start();
            worker.start();
            int port = api.getMappedPort(8080);

            Api anonymous = Api.anonymous(port);
            Api.Response ready = anonymous.get("/actuator/health/readiness");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.json().get("status").asText()).isEqualTo("UP");

            TestTenants.Issued tenant = TestTenants.create(port, "smoke", ADMIN_TOKEN);
            Api client = Api.withToken(port, tenant.key());
            Api.Response model = client.postRaw("/v1/models?name=fashion-mlp", SmallModels.fashionMlp(64, 18),
                    MediaType.APPLICATION_OCTET_STREAM);
            assertThat(model.status()).as(new String(model.body(), StandardCharsets.UTF_8)).isEqualTo(201);
            Api.Response train = client.postMultipart("/v1/datasets", "fashion-train-2000.zip",
                    FashionMnistFiles.trainSplitIdxZip(2000));
            assertThat(train.status()).as(new String(train.body(), StandardCharsets.UTF_8)).isEqualTo(201);

            Api.Response submitted = client.postJson("/v1/jobs", Map.of(
                    "modelId", model.json().get("id").asText(), "method", "svd",
                    "parameters", Map.of("energy", 0.6, "skipFirstAndLast", false, "fineTune", true,
                            "onlyIfFaster", false),
                    "trainDatasetId", train.json().get("id").asText(),
                    "budget", Map.of("maxSteps", 40, "batchSize", 32)));
            assertThat(submitted.status()).as(new String(submitted.body(), StandardCharsets.UTF_8)).isEqualTo(201);
            String id = submitted.json().get("id").asText();
            JsonNode job = client.awaitJob(id, Duration.ofMinutes(5), Set.of("succeeded", "failed", "cancelled"));

            assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
            String workerHost = worker.getContainerInfo().getConfig().getHostName();
            assertThat(job.get("worker").asText()).as("the node that ran the job").startsWith(workerHost + "/");
            long losses = 0;
            for (JsonNode e : client.get("/v1/jobs/" + id + "/events?limit=5000").json().get("items")) {
                if (e.get("type").asText().equals("metric") && e.get("data").get("name").asText().equals("loss")) {
                    losses++;
                }
            }
            assertThat(losses).as("training loss events").isPositive();
            long after = job.get("result").get("parametersAfter").asLong();
            assertThat(after).isLessThan(job.get("result").get("parametersBefore").asLong());
            Api.Response artifact = client.get("/v1/jobs/" + id + "/artifact");
            assertThat(artifact.status()).isEqualTo(200);
            assertThat(ModelInspector.inspect(OnnxModels.parse(artifact.body())).parameters()).isEqualTo(after);

            // libtorch was unpacked from the jar inside the image into the worker's cache (no download: offline)
            String cache = worker.execInContainer("sh", "-c", "ls -d $DJL_CACHE_DIR/pytorch/*/").getStdout();
            assertThat(cache).as("the worker's DJL cache").contains("/pytorch/2.7.1-").contains("-cpu-linux-x86_64/");
        } finally {
            DockerClientFactory.instance().client().removeVolumeCmd(volume).exec();
        }
    }

    /** A service node of {@code role} on the shared database and artifact volume, ready when its HEALTHCHECK says. */
    private static GenericContainer<?> node(DockerImageName image, String role, Network network, String volume,
                                            PostgreSQLContainer<?> postgres) {
        Path log = LOGS.resolve("smoke-" + role + ".log");
        return new GenericContainer<>(image)
                .withNetwork(network)
                .withEnv("CAAS_ROLES", role)
                .withEnv("SPRING_DATASOURCE_URL", "jdbc:postgresql://postgres:5432/" + postgres.getDatabaseName())
                .withEnv("SPRING_DATASOURCE_USERNAME", postgres.getUsername())
                .withEnv("SPRING_DATASOURCE_PASSWORD", postgres.getPassword())
                .withEnv("CAAS_ADMIN_TOKEN", ADMIN_TOKEN)
                .withEnv("CAAS_METRICS_TOKEN", "smoke-test-metrics-token-" + UUID.randomUUID())
                // a named volume starts out owned by the image's service user, as /data is in the image
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withBinds(new Bind(volume, new Volume("/data"))))
                .withLogConsumer(frame -> append(log, frame.getUtf8String()))
                .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(4)));
    }

    private static void append(Path file, String text) {
        try {
            Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
