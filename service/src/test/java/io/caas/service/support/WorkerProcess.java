package io.caas.service.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A worker node in its own JVM, as deployed: same code, worker role only, same database and artifact folder. */
public final class WorkerProcess implements AutoCloseable {

    private final ServiceProcess process;

    private WorkerProcess(ServiceProcess process) {
        this.process = process;
    }

    public static WorkerProcess start(String jdbcUrl, Path dataDir, Path log, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "--caas.roles=worker",
                "--server.port=0",
                "--spring.datasource.url=" + jdbcUrl,
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=postgres",
                "--caas.data-dir=" + dataDir,
                "--jobrunr.background-job-server.poll-interval-in-seconds=5"));
        args.addAll(List.of(extraArgs));
        return new WorkerProcess(ServiceProcess.launch(args, log, 0));
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no graceful stop, as when a node dies. */
    public void kill() throws InterruptedException {
        process.kill();
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
