package io.caas.service.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.support.Api;
import io.caas.service.support.ServiceProcess;
import io.caas.service.support.TempDirs;
import io.caas.service.support.TestMaterial;
import io.caas.service.support.TestTenants;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * The embedded default as another user of the same machine sees it: a node started on a data folder that was
 * made with the usual umask (0755) listens on its HTTP port and nothing else (H2's AUTO_SERVER opened a TCP port
 * whose key sat in a world-readable lock file), and leaves nothing another user can read: folders 0700, files
 * 0600, the generated secrets, the database and the stored models included; as user {@code nobody} the files
 * cannot be read.
 */
class HostileLocalUserTest {

    static final Path DATA_DIR = TempDirs.create("caas-local-user").resolve("data");
    static ServiceProcess node;
    static String modelId;

    @BeforeAll
    static void startOnDefaults() throws Exception {
        Files.createDirectories(DATA_DIR);
        Files.setPosixFilePermissions(DATA_DIR, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(DATA_DIR.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        // No configured operator tokens: the node generates them into its data folder, as on a first start.
        node = ServiceProcess.onDefaults(DATA_DIR, DATA_DIR.resolveSibling("node.log"),
                "--caas.security.admin-token=", "--caas.security.metrics-token=").awaitUp(Duration.ofSeconds(120));
        String admin = Files.readString(DATA_DIR.resolve("secrets/admin-token")).strip();
        Api tenant = Api.withToken(node.port(), TestTenants.create(node.port(), "local", admin).key());
        Api.Response up = tenant.postRaw("/v1/models", Files.readAllBytes(TestMaterial.wakeWordHead()),
                MediaType.APPLICATION_OCTET_STREAM);
        assertThat(up.status()).isEqualTo(201);
        modelId = up.json().get("id").asText();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void theNodeListensOnItsHttpPortAndNothingElse() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(node.pid()), "fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            });
        }
        List<String> listening = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table)).subList(1, Files.readAllLines(Path.of(table)).size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
                    String local = f[1];
                    listening.add(table.substring(10) + " port " + Integer.parseInt(local.substring(local.indexOf(':') + 1), 16));
                }
            }
        }
        assertThat(listening).isNotEmpty().allSatisfy(l -> assertThat(l).endsWith("port " + node.port()));
    }

    @Test
    void everyFolderIs0700AndEveryFile0600() throws IOException {
        Map<String, String> modes = new TreeMap<>();
        try (Stream<Path> all = Files.walk(DATA_DIR)) {
            all.forEach(p -> {
                try {
                    modes.put(DATA_DIR.relativize(p).toString(),
                            PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                } catch (IOException e) {
                    // removed meanwhile (a temporary file)
                }
            });
        }
        assertThat(modes).containsEntry("", "rwx------")
                .containsEntry("secrets/admin-token", "rw-------")
                .containsEntry("secrets/metrics-token", "rw-------")
                .containsEntry("db/caas.mv.db", "rw-------")
                .containsEntry("artifacts/models/" + modelId + ".onnx", "rw-------");
        modes.forEach((path, mode) -> assertThat(mode).as(path).isIn("rwx------", "rw-------"));
    }

    @Test
    void anotherUserCannotReadTheDatabaseOrTheModels() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name"))
                && Files.isExecutable(Path.of("/usr/sbin/runuser")), "needs root to act as user nobody");
        for (Path target : List.of(DATA_DIR.resolve("db/caas.mv.db"), DATA_DIR.resolve("secrets/admin-token"),
                DATA_DIR.resolve("artifacts/models/" + modelId + ".onnx"))) {
            Process cat = new ProcessBuilder("/usr/sbin/runuser", "-u", "nobody", "--", "cat", target.toString())
                    .redirectErrorStream(true).start();
            String out = new String(cat.getInputStream().readAllBytes());
            assertThat(cat.waitFor()).as(target + ": " + out).isNotZero();
            assertThat(out).contains("Permission denied");
        }
    }
}
