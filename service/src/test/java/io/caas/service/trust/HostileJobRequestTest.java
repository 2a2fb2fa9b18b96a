package io.caas.service.trust;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelSummary;
import io.caas.service.job.JobExecution;
import io.caas.service.method.MethodCatalog;
import io.caas.service.support.Api;
import io.caas.service.support.SmallModels;
import io.caas.service.support.TempDirs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Job requests that cannot work, as a careless client sends them: what a method can tell from the model before
 * running is refused at submission (422 problem+json naming why), and what it only finds while running fails the job
 * with that reason, never "internal error", and without an ERROR stack trace in the log.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "jobrunr.background-job-server.poll-interval-in-seconds=5")
@DirtiesContext
class HostileJobRequestTest {

    private static final Path DATA_DIR = TempDirs.create("caas-hostile-jobs-test");
    static final String REFUSES_MID_RUN = "refuses-mid-run";
    static final String MID_RUN_PROBLEM = "layer 'fc1' has no room for rank 3 once its weights are read";

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("caas.data-dir", DATA_DIR::toString);
    }

    /** The engine's methods plus one that accepts every request and refuses it with the user's reason mid-run. */
    @TestConfiguration
    static class MidRunRefusal {
        @Bean
        @Primary
        MethodCatalog catalogWithAMidRunRefusal() {
            List<CompressionMethod> methods = new ArrayList<>(CompressionMethods.all());
            methods.add(new CompressionMethod() {
                @Override
                public MethodDescriptor descriptor() {
                    return new MethodDescriptor(REFUSES_MID_RUN, "Refuses mid-run", "test double",
                            Set.of(LayerKind.DENSE), false, List.of());
                }

                @Override
                public void validate(Map<String, Object> parameters, ModelSummary model) {
                }

                @Override
                public CompressionResult compress(CompressionTask task, ProgressListener progress) {
                    progress.progress(0.5, "half way");
                    throw new InvalidParametersException(List.of(MID_RUN_PROBLEM));
                }
            });
            return new MethodCatalog(methods);
        }
    }

    @LocalServerPort
    int port;

    @Test
    void aTiedJobOnAModelWithNoTieablePairIsRefusedAtSubmissionSayingWhy() {
        Api api = new Api(port);
        // two Gemms, 784→64 then 64→10: two factorizable layers, but no d→h→d pair
        String model = upload(api, SmallModels.fashionMlp(64, 5));

        Api.Response r = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "tied"));

        assertThat(r.status()).as(new String(r.body())).isEqualTo(422);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().get("type").asText()).isEqualTo("urn:caas:problem:invalid-request");
        assertThat(r.json().get("errors").toString()).contains("the model has no layer pair d→h→d to tie");
        assertThat(api.get("/v1/jobs?limit=100").json().get("items").toString()).doesNotContain(model);
    }

    @Test
    void whatAMethodChecksOnTheGraphBeforeRunningIsRefusedAtSubmissionForEveryMethod() {
        Api api = new Api(port);
        String model = upload(api, SmallModels.fashionMlp(64, 6));

        // ldr refused a data fit without training data only once its job ran
        Api.Response ldr = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "ldr",
                "parameters", Map.of("fit", "data")));
        assertThat(ldr.status()).as(new String(ldr.body())).isEqualTo(422);
        assertThat(ldr.json().get("errors").toString()).contains("fit: data needs a training dataset");

        // tied naming a layer pair the graph does not have (both layers exist, they are no pair)
        Api.Response tied = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "tied",
                "parameters", Map.of("pairs", List.of("fc1+fc2"))));
        assertThat(tied.status()).as(new String(tied.body())).isEqualTo(422);
        assertThat(tied.json().get("errors").toString()).contains("no layer pair d→h→d");
    }

    @Test
    void aMethodRefusingTheRequestMidRunFailsTheJobWithItsReasonAndNoStackTrace() {
        Api api = new Api(port);
        String model = upload(api, SmallModels.fashionMlp(16, 7));
        Logger executionLog = (Logger) LoggerFactory.getLogger(JobExecution.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        executionLog.addAppender(logged);
        try {
            Api.Response submitted = api.postJson("/v1/jobs", Map.of("modelId", model, "method", REFUSES_MID_RUN));
            assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
            String id = submitted.json().get("id").asText();

            JsonNode job = api.awaitJob(id, Duration.ofSeconds(60), Set.of("succeeded", "failed", "cancelled"));

            assertThat(job.get("status").asText()).isEqualTo("failed");
            assertThat(job.get("error").asText()).contains(MID_RUN_PROBLEM).doesNotContain("internal error");
            JsonNode events = api.get("/v1/jobs/" + id + "/events").json();
            assertThat(events.toString()).contains(MID_RUN_PROBLEM).doesNotContain("internal error");
            List<ILoggingEvent> aboutThisJob = logged.list.stream()
                    .filter(e -> e.getFormattedMessage().contains(id)).toList();
            assertThat(aboutThisJob).noneMatch(e -> e.getLevel() == Level.ERROR);
            assertThat(aboutThisJob).filteredOn(e -> e.getLevel() == Level.WARN).singleElement()
                    .satisfies(e -> {
                        assertThat(e.getFormattedMessage()).contains(MID_RUN_PROBLEM);
                        assertThat(e.getThrowableProxy()).isNull();
                    });
        } finally {
            executionLog.detachAppender(logged);
        }
    }

    private static String upload(Api api, byte[] model) {
        return api.postRaw("/v1/models", model, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
    }
}
