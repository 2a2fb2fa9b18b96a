package io.caas.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caas.service.CaasApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Load check of {@code GET /v1/jobs/{id}}, the call every client makes over and over while it waits for a job.
 *
 * <p>The service runs in this JVM exactly as shipped (H2 file database, api and worker roles, its own
 * application.yml), bound to 127.0.0.1 only, so the figures are the request path itself, with no network in them.
 * The polled job is a real, succeeded svd job on a real model: its resource then carries everything a finished
 * job shows (result summary, artifact), which is what pollers spend most of their requests on once a job ends.
 *
 * <p>Clients are closed-loop: each thread sends its next request when the previous one has been answered. That
 * is how pollers behave, but it also means a slow answer delays the requests behind it instead of queueing them
 * (coordinated omission), so the tail figures are those of this load pattern, not of an open arrival rate.
 * Client and server share the machine's cores; the throughput is therefore a lower bound for the server alone.
 *
 * <p>Settings (system properties): {@code bench.concurrency} (comma-separated thread counts, default 1,4,16),
 * {@code bench.warmup-seconds} (5), {@code bench.measure-seconds} (10), {@code bench.max-requests} (per phase,
 * 5000000), {@code bench.job-timeout-seconds} (180), {@code bench.report} (a file for the Markdown table),
 * {@code caas.testdata} (the folder scripts/fetch-testdata.sh fills, default ../testdata).
 */
public final class JobPollingBenchmark {

    static final String MODEL = "openwakeword/package/models/hey_jarvis_v0.1.onnx";

    /** Latencies above this are clamped to it rather than lost; far beyond the request timeout anyway. */
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The operator token of the service this benchmark starts; the polling itself uses a tenant's API key. */
    private static final String ADMIN_TOKEN = "benchmark-admin-token-" + java.util.UUID.randomUUID();
    /** "Bearer <key>" of the tenant the benchmark creates; set once before any request. */
    private static String authorization;

    private JobPollingBenchmark() {
    }

    record Settings(int[] concurrency, Duration warmup, Duration measure, long maxRequests, Duration jobTimeout,
                    Path report, Path testdata) {

        static Settings fromSystemProperties() {
            int[] levels = Arrays.stream(System.getProperty("bench.concurrency", "1,4,16").split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
            if (levels.length == 0 || Arrays.stream(levels).anyMatch(c -> c < 1)) {
                throw new IllegalArgumentException("bench.concurrency must list thread counts of at least 1");
            }
            String report = System.getProperty("bench.report");
            return new Settings(levels,
                    Duration.ofSeconds(Long.getLong("bench.warmup-seconds", 5)),
                    Duration.ofSeconds(Long.getLong("bench.measure-seconds", 10)),
                    Long.getLong("bench.max-requests", 5_000_000),
                    Duration.ofSeconds(Long.getLong("bench.job-timeout-seconds", 180)),
                    report == null || report.isBlank() ? null : Path.of(report),
                    Path.of(System.getProperty("caas.testdata", "../testdata")));
        }
    }

    /** One measured phase at one concurrency. */
    record Result(int concurrency, long requests, long errors, double seconds, Histogram latency, String firstError) {

        double throughput() {
            return requests / seconds;
        }

        double millis(double percentile) {
            return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1e6;
        }

        double maxMillis() {
            return latency.getTotalCount() == 0 ? Double.NaN : latency.getMaxValue() / 1e6;
        }
    }

    public static void main(String[] args) {
        int exit;
        try {
            exit = run();
        } catch (Throwable t) {
            t.printStackTrace();
            exit = 1;
        }
        // The service leaves non-daemon threads behind; without an explicit exit a failed run would hang the build.
        System.exit(exit);
    }

    static int run() throws Exception {
        // As CaasApplication.main does: nothing in this process may reach the network.
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        Settings settings = Settings.fromSystemProperties();
        Path model = testModel(settings.testdata());

        Path dataDir = Files.createTempDirectory("caas-bench");
        ConfigurableApplicationContext service = null;
        int exit = 1;
        try {
            service = startService(dataDir);
            int port = service.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
            URI base = URI.create("http://127.0.0.1:" + port);
            // HTTP/1.1 explicitly: the default (HTTP/2) would add an h2c upgrade attempt to plain-http requests.
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();

            authorization = "Bearer " + tenantKey(client, base);
            String jobId = succeededSvdJob(client, base, model, settings.jobTimeout());
            URI target = base.resolve("/v1/jobs/" + jobId);
            int bodyBytes = checkTarget(client, target);
            log("polling " + target + " (" + bodyBytes + " bytes of JSON per response)");

            List<Result> results = new ArrayList<>();
            long warmupErrors = 0;
            for (int c : settings.concurrency()) {
                log("concurrency " + c + ": warm-up " + settings.warmup().toSeconds() + " s");
                warmupErrors += hammer(client, target, c, settings.warmup(), settings.maxRequests()).errors();
                // Garbage left by the warm-up should not be collected on the measured phase's time.
                System.gc();
                log("concurrency " + c + ": measuring " + settings.measure().toSeconds() + " s");
                Result r = hammer(client, target, c, settings.measure(), settings.maxRequests());
                results.add(r);
                log(String.format(Locale.ROOT, "concurrency %d: %d requests, %d errors, %.0f req/s, p50 %.3f ms, "
                                + "p99 %.3f ms", c, r.requests(), r.errors(), r.throughput(), r.millis(50), r.millis(99)));
            }

            String table = table(results, settings, bodyBytes);
            System.out.println();
            System.out.println(table);
            if (settings.report() != null) {
                Files.createDirectories(settings.report().toAbsolutePath().getParent());
                Files.writeString(settings.report(), table);
                log("table written to " + settings.report().toAbsolutePath());
            }
            long errors = results.stream().mapToLong(Result::errors).sum() + warmupErrors;
            if (errors > 0) {
                // Figures from a run where requests failed are not figures of the endpoint; say so loudly.
                results.stream().filter(r -> r.firstError() != null).findFirst()
                        .ifPresent(r -> log("first error: " + r.firstError()));
                log("FAILED: " + errors + " requests were not answered 200 (" + warmupErrors + " during warm-up)");
            } else {
                exit = 0;
            }
        } finally {
            if (service != null) {
                service.close();
            }
            deleteRecursively(dataDir);
        }
        return exit;
    }

    static Path testModel(Path testdata) {
        Path model = testdata.resolve(MODEL);
        if (!Files.isRegularFile(model)) {
            throw new IllegalStateException("benchmark model " + model.toAbsolutePath() + " is missing; run "
                    + "scripts/fetch-testdata.sh first (the benchmark build skips it with -DskipTests)");
        }
        return model;
    }

    static ConfigurableApplicationContext startService(Path dataDir) {
        log("starting the service, data in " + dataDir);
        // As command-line arguments: they outrank application.yml (which sets port 8080 and ./data), defaults don't.
        return new SpringApplicationBuilder(CaasApplication.class).run(
                "--server.address=127.0.0.1",
                "--server.port=0",
                "--caas.data-dir=" + dataDir,
                "--caas.roles=api,worker",
                "--caas.security.admin-token=" + ADMIN_TOKEN,
                // The per-key rate limit protects a node from one client; this client is the load being measured.
                "--caas.limits.requests-per-minute=0",
                "--spring.main.banner-mode=off",
                // Spring's INFO lines would bury the progress lines (application.yml keeps JobRunr's at INFO).
                "--logging.level.root=WARN");
    }

    /** Creates a tenant and an API key through the admin API, as an operator would; returns the key. */
    static String tenantKey(HttpClient client, URI base) throws Exception {
        HttpResponse<String> tenant = client.send(HttpRequest.newBuilder(base.resolve("/v1/admin/tenants"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"benchmark\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        String tenantId = expect(tenant, 201).get("id").asText();
        HttpResponse<String> key = client.send(HttpRequest.newBuilder(
                        base.resolve("/v1/admin/tenants/" + tenantId + "/keys"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"poller\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        return expect(key, 201).get("key").asText();
    }

    /** Uploads the model, submits an svd job on it and waits for it to succeed; returns the job id. */
    static String succeededSvdJob(HttpClient client, URI base, Path model, Duration timeout) throws Exception {
        log("uploading " + model.getFileName());
        HttpResponse<String> uploaded = client.send(HttpRequest.newBuilder(
                        base.resolve("/v1/models?filename=" + model.getFileName()))
                .header("Content-Type", "application/octet-stream").header("Authorization", authorization)
                .POST(HttpRequest.BodyPublishers.ofFile(model)).build(), HttpResponse.BodyHandlers.ofString());
        String modelId = expect(uploaded, 201).get("id").asText();

        String request = JSON.writeValueAsString(JSON.createObjectNode().put("modelId", modelId).put("method", "svd")
                .set("parameters", JSON.createObjectNode().put("energy", 0.9).put("skipFirstAndLast", false)));
        HttpResponse<String> submitted = client.send(HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                .header("Content-Type", "application/json").header("Authorization", authorization)
                .POST(HttpRequest.BodyPublishers.ofString(request)).build(), HttpResponse.BodyHandlers.ofString());
        String jobId = expect(submitted, 201).get("id").asText();
        log("svd job " + jobId + " submitted; waiting for it to succeed");

        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode job = null;
        while (System.nanoTime() < deadline) {
            job = expect(client.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + jobId))
                            .header("Authorization", authorization).GET().build(),
                    HttpResponse.BodyHandlers.ofString()), 200);
            String status = job.path("status").asText();
            if (status.equals("succeeded")) {
                return jobId;
            }
            if (status.equals("failed") || status.equals("cancelled")) {
                throw new IllegalStateException("the svd job to poll ended " + status + ": " + job);
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the svd job did not succeed within " + timeout + "; last seen: " + job);
    }

    /** One request before the load: the target must answer 200 with a finished job, or nothing is worth timing. */
    static int checkTarget(HttpClient client, URI target) throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(target).header("Authorization", authorization).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        JsonNode job = expect(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8), 200);
        if (!job.path("status").asText().equals("succeeded") || job.path("result").isMissingNode()) {
            throw new IllegalStateException("polled job is not a succeeded job with a result: " + job);
        }
        return r.body().length;
    }

    /**
     * {@code threads} closed-loop clients on one shared HttpClient (its pool keeps one connection alive per client)
     * until {@code duration} is over or {@code maxRequests} have been sent in all.
     */
    static Result hammer(HttpClient client, URI target, int threads, Duration duration, long maxRequests)
            throws InterruptedException, ExecutionException {
        HttpRequest request = HttpRequest.newBuilder(target).GET().header("Accept", "application/json")
                .header("Authorization", authorization)
                .timeout(Duration.ofSeconds(10)).build();
        AtomicLong budget = new AtomicLong(maxRequests);
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Result>> clients = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                clients.add(pool.submit(() -> {
                    Histogram latency = new Histogram(HIGHEST_NANOS, 3);
                    long requests = 0;
                    long errors = 0;
                    String firstError = null;
                    ready.countDown();
                    go.await();
                    long deadline = window[0] + duration.toNanos();
                    while (System.nanoTime() < deadline && budget.getAndDecrement() > 0) {
                        long start = System.nanoTime();
                        String error;
                        try {
                            HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                            error = r.statusCode() == 200 ? null : "HTTP " + r.statusCode() + ": "
                                    + new String(r.body(), StandardCharsets.UTF_8);
                        } catch (IOException e) {
                            error = e.toString();
                        }
                        latency.recordValue(Math.min(System.nanoTime() - start, HIGHEST_NANOS));
                        requests++;
                        if (error != null) {
                            errors++;
                            firstError = firstError == null ? error : firstError;
                        }
                    }
                    return new Result(threads, requests, errors, 0, latency, firstError);
                }));
            }
            ready.await();
            window[0] = System.nanoTime();
            go.countDown();
            Histogram all = new Histogram(HIGHEST_NANOS, 3);
            long requests = 0;
            long errors = 0;
            String firstError = null;
            for (Future<Result> f : clients) {
                Result r = f.get();
                all.add(r.latency());
                requests += r.requests();
                errors += r.errors();
                firstError = firstError == null ? r.firstError() : firstError;
            }
            window[1] = System.nanoTime();
            return new Result(threads, requests, errors, (window[1] - window[0]) / 1e9, all, firstError);
        } finally {
            pool.shutdownNow();
        }
    }

    static String table(List<Result> results, Settings settings, int bodyBytes) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Measured %s; %s %s, %d processors visible to the JVM; "
                        + "warm-up %d s and measurement %d s per concurrency; response body %d bytes.%n%n",
                OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                Runtime.getRuntime().availableProcessors(), settings.warmup().toSeconds(),
                settings.measure().toSeconds(), bodyBytes));
        sb.append("| Concurrency | Requests | Errors (non-200) | Throughput (req/s) | p50 (ms) | p90 (ms) | p99 (ms) "
                + "| max (ms) |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "| %d | %d | %d | %.0f | %.3f | %.3f | %.3f | %.3f |%n",
                    r.concurrency(), r.requests(), r.errors(), r.throughput(), r.millis(50), r.millis(90),
                    r.millis(99), r.maxMillis()));
        }
        return sb.toString();
    }

    private static JsonNode expect(HttpResponse<String> r, int status) throws IOException {
        return expect(r.statusCode(), r.body(), status);
    }

    private static JsonNode expect(int actual, String body, int status) throws IOException {
        if (actual != status) {
            throw new IllegalStateException("expected HTTP " + status + ", got " + actual + ": " + body);
        }
        return JSON.readTree(body);
    }

    private static void log(String line) {
        System.out.println("[bench] " + line);
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log("could not delete " + dir + ": " + e);
        }
    }
}
