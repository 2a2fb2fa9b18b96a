package io.caas.service.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.support.Api;
import io.caas.service.support.HeldConnection;
import io.caas.service.support.TempDirs;
import io.caas.service.support.SmallModels;
import io.caas.service.support.TestTenants;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Issue 14, "slow uploads took every thread", the part the upload caps leave open: a client that trickles its
 * body a byte at a time, just often enough to beat the connection timeout, holds its thread for as long as it
 * likes. Under the minimum data rate it is cut off after one window of waiting, whichever reader has the body (a
 * raw upload, Tomcat's multipart parser, JSON binding), while a slow but honest client is not.
 *
 * <p>The connection timeout stays at its default (20 s), so a cut-off within a few seconds is the rate's doing.
 */
@AutoConfigureObservability
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "caas.roles=api",
        "caas.limits.min-request-bytes-per-second=" + HostileSlowBodyTest.MIN_RATE,
        "caas.limits.request-rate-window=2s"})
@DirtiesContext
class HostileSlowBodyTest {

    static final int MIN_RATE = 1000;
    /** The window is 2 s of waiting; the connection timeout, 20 s, would be the cut-off without the rate. */
    private static final Duration CUT_OFF_WELL_BEFORE_TIMEOUT = Duration.ofSeconds(12);

    private static final Path OWN_DATA_DIR = TempDirs.create("caas-slow-body-test");
    private static final ScheduledExecutorService CLIENT = Executors.newScheduledThreadPool(2);

    @DynamicPropertySource
    static void ownDataDir(DynamicPropertyRegistry registry) {
        registry.add("caas.data-dir", OWN_DATA_DIR::toString);
    }

    @AfterAll
    static void stopClient() {
        CLIENT.shutdownNow();
    }

    @LocalServerPort
    int port;
    @Autowired
    MeterRegistry meters;

    @Test
    void aRawUploadTrickledAByteAtATimeIsCutOff408AndLeavesNothing() {
        String key = TestTenants.create(port, "raw-trickler").key();
        HeldConnection c = HeldConnection.connect(port).head("POST", "/v1/models?name=slow&filename=slow.onnx",
                Map.of("Authorization", "Bearer " + key, "Content-Type", "application/octet-stream",
                        "Content-Length", "1000000"));
        assertCutOff(c, new byte[100]);
        assertThat(Api.withToken(port, key).get("/v1/models").json().get("items").size())
                .as("nothing stored").isZero();
        assertThat(meters.get("caas.uploads.active").gauge().value()).as("the upload's slot is free").isZero();
    }

    @Test
    void aMultipartUploadTrickledIsCutOffTheSameWay() {
        String key = TestTenants.create(port, "multipart-trickler").key();
        String boundary = "caasboundary";
        HeldConnection c = HeldConnection.connect(port).head("POST", "/v1/models", Map.of(
                "Authorization", "Bearer " + key, "Content-Type", "multipart/form-data; boundary=" + boundary,
                "Content-Length", "1000000"));
        assertCutOff(c, ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.onnx\""
                + "\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(Api.withToken(port, key).get("/v1/models").json().get("items").size()).isZero();
    }

    @Test
    void aChunkedJsonBodyTrickledIsCutOffToo() {
        String key = TestTenants.create(port, "json-trickler").key();
        HeldConnection c = HeldConnection.connect(port).head("POST", "/v1/jobs", Map.of(
                "Authorization", "Bearer " + key, "Content-Type", "application/json",
                "Transfer-Encoding", "chunked"));
        assertCutOff(c, chunk("{\"method\":\"svd\",\"modelId\":\""));
    }

    @Test
    void anUploadSlowButAboveTheMinimumIsTaken() throws Exception {
        String key = TestTenants.create(port, "slow-but-honest").key();
        byte[] model = SmallModels.fashionMlp(8, 1); // 25 KB: over 6 s at this pace
        int piece = 4 * MIN_RATE / 10; // every 100 ms: 4x the minimum, several windows long
        HeldConnection c = HeldConnection.connect(port).head("POST", "/v1/models?name=honest&filename=m.onnx",
                Map.of("Authorization", "Bearer " + key, "Content-Type", "application/octet-stream",
                        "Content-Length", String.valueOf(model.length)));
        long start = System.nanoTime();
        for (int off = 0; off < model.length; off += piece) {
            c.write(Arrays.copyOfRange(model, off, Math.min(model.length, off + piece)));
            Thread.sleep(100);
        }
        HeldConnection.Response r = c.read(Duration.ofSeconds(30));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        System.out.printf("%d bytes at about %d bytes/s: %d after %d s%n", model.length, 10 * piece, r.status(),
                seconds);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        assertThat(seconds).as("long enough to span several windows of the rate check").isGreaterThanOrEqualTo(4);
        c.close();
    }

    /** Sends {@code start}, then a byte (or a one-byte chunk) every 200 ms until the server answers. */
    private void assertCutOff(HeldConnection c, byte[] start) {
        boolean chunked = start.length > 2 && start[start.length - 2] == '\r';
        byte[] drip = chunked ? chunk("1") : new byte[] {'1'};
        c.write(start);
        long begin = System.nanoTime();
        var trickle = CLIENT.scheduleAtFixedRate(() -> c.tryWrite(drip), 200, 200, TimeUnit.MILLISECONDS);
        try {
            HeldConnection.Response r = c.read(CUT_OFF_WELL_BEFORE_TIMEOUT);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
            System.out.printf("trickled body: %d after %d ms: %s%n", r.status(), millis, r.text());
            assertThat(r.status()).as(r.text()).isEqualTo(408);
            assertThat(r.header("Content-Type")).startsWith("application/problem+json");
            assertThat(r.json().get("type").asText()).isEqualTo("urn:caas:problem:request-timeout");
            assertThat(r.json().get("minimumBytesPerSecond").asInt()).isEqualTo(MIN_RATE);
            assertThat(r.json().get("detail").asText()).contains("below the minimum of " + MIN_RATE + " bytes/s");
            assertThat(c.closedByServerWithin(Duration.ofSeconds(2)))
                    .as("the connection closed, the rest of the body not waited for").isTrue();
        } finally {
            trickle.cancel(true);
            c.close();
        }
    }

    private static byte[] chunk(String data) {
        return (Integer.toHexString(data.length()) + "\r\n" + data + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
