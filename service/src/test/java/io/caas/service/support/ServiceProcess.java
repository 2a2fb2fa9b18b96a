package io.caas.service.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The service in its own JVM, as an operator runs it: the test class path (so the test suite's operator tokens
 * apply), its defaults otherwise, so that what a process does on its own (sockets, files, surviving a SIGKILL)
 * can be observed from outside it.
 */
public final class ServiceProcess implements AutoCloseable {

    private final Process process;
    private final int port;

    private ServiceProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts {@code io.caas.service.CaasApplication} with {@code args}; its output goes to {@code log}. */
    public static ServiceProcess launch(List<String> args, Path log, int port) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"),
                "io.caas.service.CaasApplication"));
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            return new ServiceProcess(p, port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a service JVM", e);
        }
    }

    /** A whole node (api and worker) on its embedded defaults, with its data in {@code dataDir}. */
    public static ServiceProcess onDefaults(Path dataDir, Path log, String... extraArgs) {
        int port = freePort();
        List<String> args = new ArrayList<>(List.of("--server.port=" + port, "--caas.data-dir=" + dataDir));
        args.addAll(List.of(extraArgs));
        return launch(args, log, port);
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until the node answers its liveness probe; fails if it dies or takes longer than {@code timeout}. */
    public ServiceProcess awaitUp(Duration timeout) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health/liveness"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the service process exited with " + process.exitValue());
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the service did not come up within " + timeout);
    }

    /**
     * SIGKILL: no shutdown hook, no graceful stop, as when a node dies.
     *
     * @return {@link System#nanoTime()} when the signal was sent (the call returns once the process is gone)
     */
    public long kill() throws InterruptedException {
        process.destroyForcibly();
        long sent = System.nanoTime();
        process.waitFor(30, TimeUnit.SECONDS);
        return sent;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
