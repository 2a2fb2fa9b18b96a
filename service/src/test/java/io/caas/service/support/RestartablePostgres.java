package io.caas.service.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A PostgreSQL server of one test's own that can be stopped and started again on the same port and data, as an
 * operator's restart or a database fail-over looks to the service.
 */
public final class RestartablePostgres implements AutoCloseable {

    private final Path dataDirectory;
    private final int port;
    private EmbeddedPostgres server;
    private List<ProcessHandle> armed;

    public RestartablePostgres() {
        try {
            this.dataDirectory = Files.createTempDirectory("caas-restartable-pg");
            try (ServerSocket probe = new ServerSocket(0)) {
                this.port = probe.getLocalPort();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        start();
    }

    public synchronized void start() {
        try {
            server = EmbeddedPostgres.builder().setDataDirectory(dataDirectory).setCleanDataDirectory(false)
                    .setPort(port).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start PostgreSQL on port " + port, e);
        }
    }

    /** A fast shutdown: open connections are cut, as when the server process goes away. */
    public synchronized void stop() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server = null;
    }

    /**
     * Lists the postmaster and its backends now, so that a later {@link #crash()} is only the signals: listing
     * processes reads all of /proc, which would put tens of milliseconds between a 201 and the kill.
     */
    public synchronized void armCrash() {
        try {
            ProcessHandle postmaster = postmaster();
            armed = new java.util.ArrayList<>(List.of(postmaster));
            armed.addAll(postmaster.descendants().toList());
            // The first SIGKILL from a JVM loads and links code; spend that on a stand-in, not after a 201.
            Process standIn = new ProcessBuilder("sleep", "60").start();
            standIn.toHandle().destroyForcibly();
            standIn.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * SIGKILL to the postmaster and every backend listed by {@link #armCrash()}, as when the database's machine or
     * container dies: nothing is flushed or shut down; what was committed must come back from the WAL at the next
     * start. A backend started since it was armed exits on its own when it finds the postmaster gone.
     *
     * @return {@link System#nanoTime()} when the postmaster was sent SIGKILL
     */
    public synchronized long crash() {
        if (armed == null) {
            armCrash();
        }
        List<ProcessHandle> all = armed;
        armed = null;
        all.get(0).destroyForcibly();
        long sent = System.nanoTime();
        all.forEach(ProcessHandle::destroyForcibly);
        try {
            for (ProcessHandle p : all) {
                p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("PostgreSQL did not die of SIGKILL", e);
        }
        // Only to release the handle's lock on the data folder: its stop finds no server and says so in the log.
        stop();
        return sent;
    }

    private ProcessHandle postmaster() throws IOException {
        long pid = Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).trim());
        return ProcessHandle.of(pid).orElseThrow();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port + "/postgres";
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            stop();
        }
    }
}
