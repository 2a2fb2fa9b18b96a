package io.caas.service.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemArtifactStoreTest {

    @TempDir
    Path root;

    @Test
    void storesWithSizeAndChecksum() throws Exception {
        FileSystemArtifactStore store = new FileSystemArtifactStore(root);
        StoredObject o = store.put("models/a.onnx", new ByteArrayInputStream("abc".getBytes()), 10);
        assertThat(o.sizeBytes()).isEqualTo(3);
        // SHA-256 of "abc"
        assertThat(o.sha256()).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        try (InputStream in = store.open("models/a.onnx")) {
            assertThat(in.readAllBytes()).isEqualTo("abc".getBytes());
        }
    }

    /** The source failing (a client gone mid-upload) is told apart from the store failing, and leaves nothing. */
    @Test
    void aSourceThatFailsHalfWayLeavesNoObjectAndNoPartialFile() throws Exception {
        FileSystemArtifactStore store = new FileSystemArtifactStore(root);
        InputStream dying = new InputStream() {
            int sent;

            @Override
            public int read() throws IOException {
                if (sent++ > 100_000) {
                    throw new IOException("Connection reset by peer");
                }
                return 7;
            }
        };
        assertThatThrownBy(() -> store.put("artifacts/x.onnx", dying, Long.MAX_VALUE))
                .isInstanceOf(UploadBrokenOffException.class).hasMessageContaining("broke off after 100001 bytes")
                .hasMessageContaining("Connection reset by peer");
        assertThat(store.exists("artifacts/x.onnx")).isFalse();
        assertThat(files()).isZero();
    }

    @Test
    void anUploadOverTheLimitLeavesNothing() throws Exception {
        FileSystemArtifactStore store = new FileSystemArtifactStore(root);
        assertThatThrownBy(() -> store.put("models/big.onnx", new ByteArrayInputStream(new byte[1000]), 999))
                .isInstanceOf(UploadTooLargeException.class);
        assertThat(files()).isZero();
    }

    @Test
    void objectsAndTheirFoldersAreTheOwnersAlone() throws Exception {
        FileSystemArtifactStore store = new FileSystemArtifactStore(root.resolve("store"));
        store.put("models/a.onnx", new ByteArrayInputStream("abc".getBytes()), 10);
        assertThat(mode(root.resolve("store"))).isEqualTo("rwx------");
        assertThat(mode(root.resolve("store/models"))).isEqualTo("rwx------");
        assertThat(mode(root.resolve("store/models/a.onnx"))).isEqualTo("rw-------");
    }

    private static String mode(Path p) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void keysCannotLeaveTheRoot() {
        FileSystemArtifactStore store = new FileSystemArtifactStore(root);
        assertThatThrownBy(() -> store.put("../escape", new ByteArrayInputStream(new byte[1]), 10))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private long files() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(Files::isRegularFile).count();
        }
    }
}
