package io.caas.service.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A worker node in its own JVM, as deployed: same code, worker role only, same database and artifact folder. */
public final class WorkerProcess implements AutoCloseable {

    private final Process process;

    private WorkerProcess(Process process) {
        this.process = process;
    }

    public static WorkerProcess start(String jdbcUrl, Path dataDir, Path log, String... extraArgs) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"),
                "io.caas.service.CaasApplication",
                "--caas.roles=worker",
                "--server.port=0",
                "--spring.datasource.url=" + jdbcUrl,
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=postgres",
                "--caas.data-dir=" + dataDir,
                "--jobrunr.background-job-server.poll-interval-in-seconds=5"));
        cmd.addAll(List.of(extraArgs));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new WorkerProcess(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a worker JVM", e);
        }
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no graceful stop, as when a node dies. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
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

}
