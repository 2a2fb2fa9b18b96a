package io.caas.service.trust;

import static io.caas.service.support.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.support.Api;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.HeldConnection;
import io.caas.service.support.TestMaterial;
import io.caas.service.support.TestTenants;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

/**
 * Client mistakes, sloppy or hostile, answered as mistakes: every one a 4xx problem+json with one of the
 * service's {@code urn:caas:problem:} types (never a 500, never Spring's {@code about:blank}, never Tomcat's HTML
 * page), nothing stored for a refused upload, no stack trace logged for a client that hung up, and names that
 * cannot break a header later.
 */
@ExtendWith(OutputCaptureExtension.class)
class HostileRequestTest extends H2ServiceTest {

    private String key;
    private byte[] model;

    @BeforeEach
    void material() throws IOException {
        key = TestTenants.sharedKey(port);
        model = Files.readAllBytes(TestMaterial.wakeWordHead());
    }

    @Test
    void outOfRangeAndMalformedQueryParametersAre400WithEachProblemNamed() {
        String someJob = "/v1/jobs/00000000-0000-0000-0000-000000000000";
        for (String path : List.of("/v1/models?limit=-1", "/v1/models?limit=0", "/v1/models?limit=1000000",
                "/v1/datasets?limit=-1", "/v1/jobs?limit=0", "/v1/jobs?limit=1000000",
                someJob + "/events?after=-1", someJob + "/events?limit=0", someJob + "/events?limit=999999")) {
            Api.Response r = api.get(path);
            assertProblem(r, 400, "bad-request");
            assertThat(r.json().path("errors").get(0).asText()).as(path).containsAnyOf("limit", "after");
        }
        assertProblem(api.get("/v1/models?limit=ten"), 400, "bad-request");
        assertProblem(api.get("/v1/models/not-a-uuid"), 400, "bad-request");
        assertProblem(api.get("/v1/jobs?status=exploded"), 400, "bad-request");
        assertProblem(api.get("/v1/models?cursor=not-one-of-ours"), 422, "invalid-request");
    }

    @Test
    void idempotencyKeysThatCannotBeKeptAreRefusedBeforeAnythingIsCreated() {
        String modelId = api.postRaw("/v1/models", model, MediaType.APPLICATION_OCTET_STREAM).json().get("id").asText();
        long jobsBefore = api.get("/v1/jobs?limit=500").json().get("items").size();
        Map<String, String> request = Map.of("modelId", modelId, "method", "svd");

        HttpHeaders tooLong = new HttpHeaders();
        tooLong.set("Idempotency-Key", "k".repeat(300));
        Api.Response longKey = api.postJson("/v1/jobs", request, tooLong);
        assertProblem(longKey, 422, "invalid-request");
        assertThat(longKey.json().get("detail").asText()).contains("255");

        // Bytes above 0x7f in a header, as a client sending UTF-8 would (Tomcat reads them as ISO-8859-1).
        byte[] head = ("POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
                + json(request).length + "\r\nIdempotency-Key: clé-ünïcode").getBytes(StandardCharsets.UTF_8);
        HeldConnection.Response accented = HeldConnection.exchange(port, head, json(request));
        assertProblem(accented, 422, "invalid-request");
        assertThat(accented.json().get("detail").asText()).contains("ASCII");

        assertThat(api.get("/v1/jobs?limit=500").json().get("items").size()).isEqualTo(jobsBefore);
    }

    @Test
    void aNameTooLongForItsColumnIsRefusedAndNothingIsStored() throws IOException {
        long before = storedFiles("models");
        Api.Response r = api.postRaw("/v1/models?name=" + "n".repeat(300), model, MediaType.APPLICATION_OCTET_STREAM);
        assertProblem(r, 422, "invalid-request");
        assertThat(r.json().get("detail").asText()).contains("300").contains("255");
        assertProblem(api.postRaw("/v1/datasets?name=" + "n".repeat(256) + "&filename=x.csv", "1,2,0\n".getBytes(),
                MediaType.APPLICATION_OCTET_STREAM), 422, "invalid-request");
        assertThat(storedFiles("models")).isEqualTo(before);
    }

    @Test
    void aTruncatedMultipartBodyIsABadUploadAndLeavesNothing() throws IOException {
        long before = storedFiles("models");
        long spooledBefore = spooled();
        String boundary = "caasboundary";
        byte[] start = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.onnx\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        // The part starts and the body ends with no closing boundary: what a client cut off mid-send delivers.
        byte[] body = concat(start, model);
        HeldConnection.Response r = HeldConnection.exchange(port, "POST /v1/models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + key + "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\nConnection: close"
                + "\r\nContent-Length: " + body.length, body);
        assertProblem(r, 400, "bad-upload");
        assertThat(storedFiles("models")).isEqualTo(before);
        assertThat(spooled()).as("no spooled part left behind").isLessThanOrEqualTo(spooledBefore);
    }

    @Test
    void aClientHangingUpMidUploadIsLoggedInOneLineAndLeavesNothing(CapturedOutput output) throws Exception {
        long before = storedFiles("models");
        String head = "POST /v1/models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + (model.length * 4L);
        HeldConnection.sendAndReset(port, head, model);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!output.getAll().contains("upload refused: the upload broke off") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(output.getAll()).contains("upload refused: the upload broke off");
        assertThat(output.getAll()).doesNotContain("unexpected error").doesNotContain("ClientAbortException\n\tat");
        assertThat(storedFiles("models")).isEqualTo(before);
        assertThat(partFiles()).as("no unfinished write left").isZero();
    }

    @Test
    void aFileNameWithLineBreaksIsCleanedAndTheDownloadCarriesAnRfc6266Header() {
        // Percent-encoded as a client would send it; decoded, the name holds "../", CR LF and a right-to-left override.
        HeldConnection.Response up = uploadRaw("..%2F..%2Fevil%0D%0ASet-Cookie:%20x=1%E2%80%AEx.onnx");
        assertThat(up.status()).as(up.text()).isEqualTo(201);
        String id = up.json().get("id").asText();
        assertThat(up.json().get("filename").asText()).isEqualTo("evilSet-Cookie: x=1x.onnx");

        Api.Response down = api.get("/v1/models/" + id + "/content");
        assertThat(down.status()).isEqualTo(200);
        assertThat(down.headers().get(HttpHeaders.CONTENT_DISPOSITION)).containsExactly(
                "attachment; filename=\"evilSet-Cookie: x=1x.onnx\"; filename*=UTF-8''evilSet-Cookie%3A%20x%3D1x.onnx");
        assertThat(down.headers().get("Set-Cookie")).isNull();

        HeldConnection.Response accented = uploadRaw("mod%C3%A8le%20%22v2%22.onnx");
        assertThat(api.get("/v1/models/" + accented.json().get("id").asText() + "/content")
                .headers().getFirst(HttpHeaders.CONTENT_DISPOSITION))
                .isEqualTo("attachment; filename=\"mod_le _v2_.onnx\"; filename*=UTF-8''mod%C3%A8le%20%22v2%22.onnx");
    }

    @Test
    void whatSpringAndTomcatRefuseByThemselvesIsAProblemOfTheService() {
        String auth = "Host: localhost\r\nAuthorization: Bearer " + key + "\r\nConnection: close";
        // Spring Security's firewall
        assertProblem(HeldConnection.exchange(port, "GET /v1/models/..;/admin HTTP/1.1\r\n" + auth, new byte[0]), 400, "bad-request");
        assertProblem(HeldConnection.exchange(port, "GET /v1//models HTTP/1.1\r\n" + auth, new byte[0]), 400, "bad-request");
        assertProblem(HeldConnection.exchange(port, "GET /v1/models/%2e%2e/x HTTP/1.1\r\n" + auth, new byte[0]), 400, "bad-request");
        // Tomcat, before any servlet: a URI it cannot decode
        assertProblem(HeldConnection.exchange(port, "GET /v1/models/%zz HTTP/1.1\r\n" + auth, new byte[0]), 400, "bad-request");
        // Spring MVC: unreadable JSON, wrong media type, wrong method, no such path
        byte[] broken = "{\"modelId\": ".getBytes(StandardCharsets.UTF_8);
        assertProblem(HeldConnection.exchange(port, "POST /v1/jobs HTTP/1.1\r\n" + auth + "\r\nContent-Type: application/json"
                + "\r\nContent-Length: " + broken.length, broken), 400, "bad-request");
        assertProblem(HeldConnection.exchange(port, "POST /v1/jobs HTTP/1.1\r\n" + auth + "\r\nContent-Type: text/plain"
                + "\r\nContent-Length: 2", "{}".getBytes()), 415, "unsupported-media-type");
        assertProblem(HeldConnection.exchange(port, "PUT /v1/models HTTP/1.1\r\n" + auth + "\r\nContent-Length: 0", new byte[0]),
                405, "method-not-allowed");
        assertProblem(HeldConnection.exchange(port, "GET /v1/no-such-thing HTTP/1.1\r\n" + auth, new byte[0]), 404, "not-found");
        // The error page itself, asked for directly
        assertProblem(HeldConnection.exchange(port, "GET /error HTTP/1.1\r\nHost: localhost\r\nConnection: close", new byte[0]),
                404, "not-found");
    }

    private HeldConnection.Response uploadRaw(String encodedFilename) {
        return HeldConnection.exchange(port, "POST /v1/models?filename=" + encodedFilename + " HTTP/1.1\r\nHost: localhost"
                + "\r\nAuthorization: Bearer " + key + "\r\nContent-Type: application/octet-stream\r\nConnection: close"
                + "\r\nContent-Length: " + model.length, model);
    }

    private static byte[] json(Map<String, String> m) {
        StringBuilder b = new StringBuilder("{");
        m.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":\"").append(v).append('"'));
        return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static long storedFiles(String folder) throws IOException {
        Path p = DATA_DIR.resolve("artifacts").resolve(folder);
        if (!Files.isDirectory(p)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".onnx")).count();
        }
    }

    private static long partFiles() throws IOException {
        try (Stream<Path> s = Files.walk(DATA_DIR.resolve("artifacts"))) {
            return s.filter(f -> f.getFileName().toString().endsWith(".part")).count();
        }
    }

    private static long spooled() throws IOException {
        Path p = DATA_DIR.resolve("tmp/uploads");
        if (!Files.isDirectory(p)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.count();
        }
    }
}
