package io.caas.service.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.service.server.HealthConnector;
import io.caas.service.support.Api;
import io.caas.service.support.HeldConnection;
import io.caas.service.support.TempDirs;
import io.caas.service.support.TestMaterial;
import io.caas.service.support.TestTenants;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Issue 14, "memory and threads are unbounded": what an outside attack did to the heap and the thread pools,
 * tried again. Oversize JSON bodies, requests with thousands of errors, hundreds of event streams, slow uploads
 * flooding the request pool, and a stream of invalid keys; each must be refused or bounded, quickly.
 *
 * <p>An API-only node (jobs stay queued, so event streams stay open until closed), with the pool cut to 8
 * threads so that 8 slow uploads fill it, and low caps where caps are the subject.
 */
@AutoConfigureObservability
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "caas.roles=api",
        "server.tomcat.threads.max=" + HostileBoundsTest.POOL,
        "server.tomcat.threads.min-spare=2",
        "server.tomcat.connection-timeout=3s",
        "caas.limits.max-uploads-per-key=2",
        "caas.limits.max-uploads=100",
        "caas.limits.max-event-streams-per-key=" + HostileBoundsTest.STREAMS_PER_KEY,
        "caas.limits.max-event-streams=" + 2 * HostileBoundsTest.STREAMS_PER_KEY,
        "caas.jobs.event-stream-heartbeat=200ms",
        "caas.limits.auth-failures-per-minute=1",
        "caas.limits.auth-failure-burst=" + HostileBoundsTest.AUTH_FAILURE_BURST})
@DirtiesContext
class HostileBoundsTest {

    static final int POOL = 8;
    static final int STREAMS_PER_KEY = 100;
    static final int AUTH_FAILURE_BURST = 10;
    static final long JSON_LIMIT = 1024 * 1024;

    private static final Path OWN_DATA_DIR = TempDirs.create("caas-bounds-test");

    @DynamicPropertySource
    static void ownDataDir(DynamicPropertyRegistry registry) {
        registry.add("caas.data-dir", OWN_DATA_DIR::toString);
    }

    @LocalServerPort
    int port;
    @Autowired
    MeterRegistry meters;
    @Autowired
    HealthConnector health;

    @Test
    void aFiftyMegabyteJsonBodyIsRefused413AfterTheLimitWithoutBeingParsed() {
        String key = TestTenants.sharedKey(port);
        long allocatedBefore = allocatedByOtherThreads();
        HeldConnection.Response chunked;
        try (HeldConnection c = HeldConnection.connect(port)) {
            c.head("POST", "/v1/jobs", Map.of("Authorization", "Bearer " + key,
                    "Content-Type", "application/json", "Transfer-Encoding", "chunked"));
            sendHugeJobRequestInChunks(c, 50L * 1024 * 1024);
            chunked = c.read(Duration.ofSeconds(30));
        }
        long allocated = allocatedByOtherThreads() - allocatedBefore;
        System.out.printf("50 MB chunked JSON: %d, %d bytes allocated by the service's threads%n",
                chunked.status(), allocated);
        assertThat(chunked.status()).as(new String(chunked.body(), StandardCharsets.UTF_8)).isEqualTo(413);
        assertThat(chunked.header("Content-Type")).startsWith("application/problem+json");
        assertThat(chunked.json().get("type").asText()).isEqualTo("urn:caas:problem:request-too-large");
        assertThat(chunked.json().get("limitBytes").asLong()).isEqualTo(JSON_LIMIT);
        // Parsed, 50 MB of JSON is several hundred megabytes of tree; read to the limit and dropped, a few.
        assertThat(allocated).as("bytes allocated while the service took the request").isLessThan(64L << 20);

        // With the size announced, refused before a byte of the body is sent.
        try (HeldConnection c = HeldConnection.connect(port)) {
            c.head("POST", "/v1/jobs", Map.of("Authorization", "Bearer " + key,
                    "Content-Type", "application/json", "Content-Length", String.valueOf(50L * 1024 * 1024)));
            HeldConnection.Response announced = c.read(Duration.ofSeconds(5));
            assertThat(announced.status()).isEqualTo(413);
            assertThat(announced.json().get("limitBytes").asLong()).isEqualTo(JSON_LIMIT);
        }
        // The limit covers every JSON endpoint, the operator's too.
        Api admin = Api.withToken(port, TestTenants.ADMIN_TOKEN);
        Api.Response tenant = admin.postJson("/v1/admin/tenants", Map.of("name", "x".repeat((int) JSON_LIMIT)));
        assertThat(tenant.status()).isEqualTo(413);
    }

    @Test
    void anInvalidJobRequestListsAtMostAHundredErrorsAndCountsTheRest() throws Exception {
        Api api = new Api(port);
        String model = upload(api);
        Map<String, Object> parameters = new LinkedHashMap<>();
        for (int i = 0; i < 5000; i++) {
            parameters.put("bogus" + i, i);
        }
        Api.Response many = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", parameters));
        System.out.printf("5,000 unknown parameters: %d, %d bytes%n", many.status(), many.body().length);
        assertThat(many.status()).isEqualTo(422);
        assertThat(many.json().get("errors").size()).isEqualTo(100);
        assertThat(many.json().get("errorsOmitted").asInt()).isGreaterThanOrEqualTo(4900);
        assertThat(many.json().get("detail").asText()).hasSizeLessThan(200).contains("first 100");
        assertThat(many.body().length).isLessThan(64 * 1024);

        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            unknown.add("no_such_layer_" + i);
        }
        Api.Response layers = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("layers", unknown)));
        assertThat(layers.status()).isEqualTo(422);
        assertThat(layers.json().get("errors").toString()).contains("'no_such_layer_0'").contains("and 19990 more");
        assertThat(layers.body().length).as("one error naming a few of 20,000 unknown layers").isLessThan(8 * 1024);

        String layer = api.get("/v1/models/" + model).json().get("layers").get(0).get("node").asText();
        Api.Response twice = api.postJson("/v1/jobs", Map.of("modelId", model, "method", "svd",
                "parameters", Map.of("layers", List.of(layer, layer))));
        assertThat(twice.status()).isEqualTo(422);
        assertThat(twice.json().get("errors").toString()).contains("'" + layer + "' more than once");
    }

    @Test
    void eventStreamsHoldNoThreadAreCappedAndStopWhenTheirClientGoesAway() throws Exception {
        TestTenants.Issued owner = TestTenants.create(port, "streams");
        String second = extraKey(owner, "second");
        String third = extraKey(owner, "third");
        Api api = Api.withToken(port, owner.key());
        String job = api.postJson("/v1/jobs", Map.of("modelId", upload(api), "method", "svd")).json()
                .get("id").asText();
        DoubleSupplier live = () -> meters.get("caas.jobs.event.streams").gauge().value();

        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        List<HeldConnection> streams = new ArrayList<>();
        try {
            for (String key : List.of(owner.key(), second)) {
                for (int i = 0; i < STREAMS_PER_KEY; i++) {
                    HeldConnection s = openStream(job, key);
                    streams.add(s);
                    assertThat(s.readHead(Duration.ofSeconds(10)).status()).isEqualTo(200);
                }
            }
            int threadsWith200 = ManagementFactory.getThreadMXBean().getThreadCount();
            System.out.printf("threads: %d before, %d with %d streams open%n", threadsBefore, threadsWith200,
                    streams.size());
            assertThat(live.getAsDouble()).isEqualTo(2 * STREAMS_PER_KEY);
            assertThat(threadsWith200 - threadsBefore).as("threads added by 200 streams").isLessThan(20);

            try (HeldConnection overKey = openStream(job, owner.key())) {
                HeldConnection.Response r = overKey.read(Duration.ofSeconds(10));
                assertThat(r.status()).as("a key past its cap").isEqualTo(429);
                assertThat(r.json().get("type").asText()).isEqualTo("urn:caas:problem:too-many-streams");
                assertThat(r.json().get("limit").asInt()).isEqualTo(STREAMS_PER_KEY);
                assertThat(r.header("Retry-After")).isNotBlank();
            }
            try (HeldConnection overNode = openStream(job, third)) {
                HeldConnection.Response r = overNode.read(Duration.ofSeconds(10));
                assertThat(r.status()).as("a fresh key, the node past its cap").isEqualTo(429);
                assertThat(r.json().get("limit").asInt()).isEqualTo(2 * STREAMS_PER_KEY);
            }
        } finally {
            streams.forEach(HeldConnection::close);
        }
        // The clients went away without a word; each stream's next write fails and it stops being polled.
        awaitValue(live, 0, Duration.ofSeconds(10));
        try (HeldConnection again = openStream(job, third)) {
            assertThat(again.readHead(Duration.ofSeconds(10)).status()).as("slots given back").isEqualTo(200);
        }
        awaitValue(live, 0, Duration.ofSeconds(10));
    }

    @Test
    void uploadsOverTheKeysCapAre429AndClosedAndAStalledUploadIsCutOff() throws Exception {
        String key = TestTenants.create(port, "uploader").key();
        DoubleSupplier uploads = () -> meters.get("caas.uploads.active").gauge().value();
        List<HeldConnection> slow = List.of(startSlowUpload(key), startSlowUpload(key));
        try {
            awaitValue(uploads, 2, Duration.ofSeconds(10));
            try (HeldConnection third = startSlowUpload(key)) {
                HeldConnection.Response r = third.read(Duration.ofSeconds(10));
                assertThat(r.status()).isEqualTo(429);
                assertThat(r.json().get("type").asText()).isEqualTo("urn:caas:problem:too-many-uploads");
                assertThat(r.json().get("limit").asInt()).isEqualTo(2);
                assertThat(r.header("Retry-After")).isNotBlank();
                // Within a second: well before the connection timeout (3 s), which would close it anyway.
                assertThat(third.closedByServerWithin(Duration.ofSeconds(1)))
                        .as("the refused upload's connection is closed, its body not waited for").isTrue();
            }
            Api other = Api.withToken(port, TestTenants.create(port, "other-uploader").key());
            assertThat(other.postRaw("/v1/models", Files.readAllBytes(TestMaterial.wakeWordHead()),
                    MediaType.APPLICATION_OCTET_STREAM).status()).as("the cap is per key").isEqualTo(201);

            // The two slow ones now send nothing more: cut off after the connection timeout (3 s here).
            long start = System.nanoTime();
            for (HeldConnection s : slow) {
                assertThat(s.closedByServerWithin(Duration.ofSeconds(15))).isTrue();
            }
            System.out.printf("stalled uploads cut off after %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            awaitValue(uploads, 0, Duration.ofSeconds(5));
        } finally {
            slow.forEach(HeldConnection::close);
        }
    }

    @Test
    void livenessAnswersOnTheHealthPortWhileSlowUploadsHoldTheWholePool() throws Exception {
        DoubleSupplier uploads = () -> meters.get("caas.uploads.active").gauge().value();
        List<HeldConnection> slow = new ArrayList<>();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int k = 0; k < POOL / 2; k++) {
                String key = TestTenants.create(port, "flood-" + k).key();
                slow.add(startSlowUpload(key));
                slow.add(startSlowUpload(key));
            }
            // A byte every half second: under the connection timeout, so each upload keeps its thread.
            trickle.scheduleAtFixedRate(() -> slow.forEach(s -> s.tryWrite(new byte[] {0})), 500, 500,
                    TimeUnit.MILLISECONDS);
            awaitValue(uploads, POOL, Duration.ofSeconds(10));

            try (HeldConnection main = HeldConnection.connect(port)) {
                main.head("GET", "/actuator/health/liveness", Map.of("Connection", "close"));
                assertThatThrownBy(() -> main.readHead(Duration.ofSeconds(1)))
                        .as("the main port's pool is taken: its probe waits").isInstanceOf(UncheckedIOException.class);
            }
            long start = System.nanoTime();
            HeldConnection.Response liveness;
            try (HeldConnection probe = HeldConnection.connect(health.localPort())) {
                probe.head("GET", "/actuator/health/liveness", Map.of("Connection", "close"));
                liveness = probe.read(Duration.ofSeconds(1));
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("liveness on the health port with the main pool full: %d in %d ms%n",
                    liveness.status(), millis);
            assertThat(liveness.status()).isEqualTo(200);
            assertThat(millis).isLessThan(1000);
            try (HeldConnection probe = HeldConnection.connect(health.localPort())) {
                probe.head("GET", "/v1/models", Map.of("Connection", "close"));
                assertThat(probe.read(Duration.ofSeconds(1)).status()).as("the health port serves health only")
                        .isEqualTo(404);
            }
        } finally {
            trickle.shutdownNow();
            slow.forEach(HeldConnection::close);
        }
        awaitValue(uploads, 0, Duration.ofSeconds(10));
        assertThat(Api.anonymous(port).get("/actuator/health/liveness").status()).isEqualTo(200);
    }

    @Test
    void invalidKeysFromOneAddressAre429AfterTheBurstWithoutADatabaseLookup() {
        // From 127.0.0.2, so that the throttled address is this test's alone.
        String guesser = "127.0.0.2";
        String valid = TestTenants.sharedKey(port);
        assertThat(listModels("127.0.0.1", valid).status()).as("the key in use elsewhere").isEqualTo(200);
        for (int i = 0; i < AUTH_FAILURE_BURST; i++) {
            assertThat(listModels(guesser, "guess-" + UUID.randomUUID()).status()).as("guess %d, within the burst", i + 1)
                    .isEqualTo(401);
        }
        HeldConnection.Response refused = listModels(guesser, "guess-" + UUID.randomUUID());
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.json().get("type").asText()).isEqualTo("urn:caas:problem:rate-limited");
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 60L); // one guess a minute here

        long borrowsBefore = connectionBorrows();
        for (int i = 0; i < 200; i++) {
            assertThat(listModels(guesser, "guess-" + UUID.randomUUID()).status()).isEqualTo(429);
        }
        long borrows = connectionBorrows() - borrowsBefore;
        System.out.printf("200 throttled guesses: %d database connections taken%n", borrows);
        assertThat(borrows).as("database connections taken by 200 throttled guesses").isLessThan(10);
        assertThat(listModels(guesser, valid).status()).as("a key seen valid passes, and is looked up").isEqualTo(200);
        String fresh = TestTenants.create(port, "never-used").key();
        assertThat(listModels(guesser, fresh).status()).as("a key not yet seen valid waits with the guesses")
                .isEqualTo(429);
        assertThat(listModels(guesser, TestTenants.ADMIN_TOKEN).status())
                .as("the operator token is compared in memory, not looked up").isEqualTo(200);
        assertThat(listModels("127.0.0.1", valid).status()).as("other addresses go on").isEqualTo(200);
    }

    private HeldConnection.Response listModels(String from, String token) {
        String path = token.equals(TestTenants.ADMIN_TOKEN) ? "/v1/admin/tenants" : "/v1/models";
        try (HeldConnection c = HeldConnection.connect(port, from)) {
            c.head("GET", path, Map.of("Authorization", "Bearer " + token, "Connection", "close"));
            return c.read(Duration.ofSeconds(10));
        }
    }

    // --- helpers ---

    private HeldConnection openStream(String job, String key) {
        return HeldConnection.connect(port).head("GET", "/v1/jobs/" + job + "/events",
                Map.of("Authorization", "Bearer " + key, "Accept", "text/event-stream"));
    }

    /** Announces a 10 MB model and sends its first kilobyte. */
    private HeldConnection startSlowUpload(String key) {
        return HeldConnection.connect(port).head("POST", "/v1/models?name=slow&filename=slow.onnx", Map.of(
                "Authorization", "Bearer " + key, "Content-Type", "application/octet-stream",
                "Content-Length", String.valueOf(10_000_000))).write(new byte[1024]);
    }

    private String extraKey(TestTenants.Issued tenant, String name) {
        return Api.withToken(port, TestTenants.ADMIN_TOKEN)
                .postJson("/v1/admin/tenants/" + tenant.tenantId() + "/keys", Map.of("name", name))
                .json().get("key").asText();
    }

    private static String upload(Api api) throws Exception {
        Api.Response r = api.postRaw("/v1/models", Files.readAllBytes(TestMaterial.wakeWordHead()),
                MediaType.APPLICATION_OCTET_STREAM);
        assertThat(r.status()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    /** A job request whose layer list goes on for {@code bytes}, sent as chunks; stops early if cut off. */
    private static void sendHugeJobRequestInChunks(HeldConnection c, long bytes) {
        byte[] start = ("{\"modelId\":\"" + UUID.randomUUID() + "\",\"method\":\"svd\",\"parameters\":{\"layers\":[")
                .getBytes(StandardCharsets.US_ASCII);
        StringBuilder names = new StringBuilder();
        for (int i = 0; names.length() < 64 * 1024; i++) {
            names.append("\"layer_").append(i).append("\",");
        }
        byte[] chunk = names.toString().getBytes(StandardCharsets.US_ASCII);
        c.write(frame(start));
        for (long sent = start.length; sent < bytes; sent += chunk.length) {
            if (!c.tryWrite(frame(chunk))) {
                return;
            }
        }
        c.tryWrite(frame("\"last\"]}}".getBytes(StandardCharsets.US_ASCII)));
        c.tryWrite("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] frame(byte[] data) {
        byte[] head = (Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[head.length + data.length + 2];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(data, 0, out, head.length, data.length);
        out[out.length - 2] = '\r';
        out[out.length - 1] = '\n';
        return out;
    }

    /** Bytes allocated so far by every live thread but this one: the service's share of a request. */
    private static long allocatedByOtherThreads() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = mx.getAllThreadIds();
        long[] bytes = mx.getThreadAllocatedBytes(ids);
        long self = Thread.currentThread().getId();
        long sum = 0;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != self && bytes[i] > 0) {
                sum += bytes[i];
            }
        }
        return sum;
    }

    private long connectionBorrows() {
        return meters.find("hikaricp.connections.usage").timers().stream().mapToLong(Timer::count).sum();
    }

    private static void awaitValue(DoubleSupplier value, double expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (value.getAsDouble() != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + expected + " within " + timeout + ", still "
                        + value.getAsDouble());
            }
            Thread.sleep(50);
        }
    }
}
