package io.caas.engine.eval;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A private temporary folder for ONNX Runtime's profile files: they name every node of a tenant's model, so other
 * local users must not read them, and they are deleted once parsed.
 */
final class ProfileFolder {

    private ProfileFolder() {
    }

    static Path create() {
        try {
            return FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                    ? Files.createTempDirectory("caas-profile-",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
                    : Files.createTempDirectory("caas-profile-");
        } catch (IOException e) {
            throw new EvaluationException("cannot make a folder for ONNX Runtime's profile: " + e.getMessage(), e);
        }
    }

    /** Deletes the folder and whatever ONNX Runtime wrote into it; what cannot be deleted is left, not thrown. */
    static void delete(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a leftover in the temp folder is not worth failing a measurement for
                }
            });
        } catch (IOException ignored) {
            // as above
        }
    }
}
