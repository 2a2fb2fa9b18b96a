package io.caas.service.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.caas.service.support.Api;
import io.caas.service.support.FashionMnistFiles;
import io.caas.service.support.PostgresServiceTest;
import io.caas.service.support.SmallModels;
import io.caas.service.support.TestTenants;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

/**
 * Two tenants on one service and one PostgreSQL: neither can see, list, use, cancel or delete the other's
 * models, datasets or jobs, and every refusal looks exactly like an id that does not exist (404), so ids leak
 * nothing.
 */
class TenantIsolationTest extends PostgresServiceTest {

    @LocalServerPort
    int port;

    @Test
    void noTenantReachesAnotherTenantsModelsDatasetsOrJobs() throws Exception {
        Api alice = Api.withToken(port, TestTenants.create(port, "alice").key());
        Api bob = Api.withToken(port, TestTenants.create(port, "bob").key());

        String model = alice.postRaw("/v1/models?name=alice-mlp", SmallModels.fashionMlp(32, 7),
                MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        String dataset = alice.postMultipart("/v1/datasets", "t10k.zip", FashionMnistFiles.testSplitIdxZip())
                .json().get("id").asText();
        Api.Response submitted = alice.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "evalDatasetId", dataset), idempotencyKey("shared-key"));
        assertThat(submitted.status()).as(new String(submitted.body())).isEqualTo(201);
        String job = submitted.json().get("id").asText();
        JsonNode done = alice.awaitJob(job, Duration.ofMinutes(2), Set.of("succeeded", "failed", "cancelled"));
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("succeeded");

        // reading, downloading, following and cancelling: 404, as for an id nobody has
        for (String path : List.of("/v1/models/" + model, "/v1/models/" + model + "/content",
                "/v1/datasets/" + dataset, "/v1/jobs/" + job, "/v1/jobs/" + job + "/events",
                "/v1/jobs/" + job + "/artifact", "/v1/jobs/" + job + "/report")) {
            assertLooksNonexistent(bob.get(path), bob.get(path.replace(idIn(path), UUID.randomUUID().toString())));
        }
        assertLooksNonexistent(bob.postJson("/v1/jobs/" + job + "/cancel", Map.of()),
                bob.postJson("/v1/jobs/" + UUID.randomUUID() + "/cancel", Map.of()));
        assertLooksNonexistent(bob.delete("/v1/models/" + model), bob.delete("/v1/models/" + UUID.randomUUID()));
        assertLooksNonexistent(bob.delete("/v1/datasets/" + dataset), bob.delete("/v1/datasets/" + UUID.randomUUID()));

        // listing shows none of it
        assertThat(ids(bob.get("/v1/models"))).doesNotContain(model);
        assertThat(ids(bob.get("/v1/datasets"))).doesNotContain(dataset);
        assertThat(ids(bob.get("/v1/jobs"))).doesNotContain(job);
        assertThat(ids(bob.get("/v1/jobs?status=succeeded"))).doesNotContain(job);

        // nor can bob use alice's model or data in a job of his own
        Api.Response borrowed = bob.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "evalDatasetId", dataset));
        assertThat(borrowed.status()).isEqualTo(422);
        assertThat(borrowed.json().get("errors").toString()).contains("model " + model + " not found")
                .contains("dataset " + dataset + " not found");

        // an Idempotency-Key is the tenant's own: the same key from bob makes bob a new job
        String bobsModel = bob.postRaw("/v1/models", SmallModels.fashionMlp(32, 8), MediaType.APPLICATION_OCTET_STREAM)
                .json().get("id").asText();
        Api.Response bobs = bob.postJson("/v1/jobs", Map.of("modelId", bobsModel, "method", "svd"),
                idempotencyKey("shared-key"));
        assertThat(bobs.status()).isEqualTo(201);
        assertThat(bobs.json().get("id").asText()).isNotEqualTo(job);

        // and everything is still alice's, whole
        assertThat(alice.get("/v1/models/" + model).status()).isEqualTo(200);
        assertThat(alice.get("/v1/datasets/" + dataset).status()).isEqualTo(200);
        assertThat(alice.get("/v1/jobs/" + job + "/artifact").status()).isEqualTo(200);
        assertThat(ids(alice.get("/v1/jobs"))).containsExactly(job);
        assertThat(done.get("submittedBy").asText()).startsWith("key:alice-key (");
    }

    static HttpHeaders idempotencyKey(String key) {
        HttpHeaders h = new HttpHeaders();
        h.set("Idempotency-Key", key);
        return h;
    }

    static String idIn(String path) {
        return path.split("/")[3];
    }

    static void assertLooksNonexistent(Api.Response other, Api.Response nonexistent) {
        assertThat(other.status()).as(new String(other.body())).isEqualTo(404);
        assertThat(other.status()).isEqualTo(nonexistent.status());
        assertThat(other.contentType()).isEqualTo("application/problem+json");
        assertThat(other.json().get("type")).isEqualTo(nonexistent.json().get("type"));
        assertThat(other.json().get("title")).isEqualTo(nonexistent.json().get("title"));
    }

    static List<String> ids(Api.Response page) {
        assertThat(page.status()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        page.json().get("items").forEach(i -> ids.add(i.get("id").asText()));
        return ids;
    }
}
