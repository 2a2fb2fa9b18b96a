package io.caas.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the fetched test material; a missing file fails the test with a message saying how to get it. */
public final class TestData {

    private TestData() {
    }

    public static Path root() {
        String prop = System.getProperty("caas.testdata");
        Path root = prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("..", "testdata");
        return root.toAbsolutePath().normalize();
    }

    public static Path require(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new AssertionError("test material missing: " + p
                    + " (run scripts/fetch-testdata.sh or set -Dcaas.testdata to its folder)");
        }
        return p;
    }
}
