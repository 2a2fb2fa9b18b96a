package io.caas.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the real models and datasets fetched by scripts/fetch-testdata.sh. Missing material fails the test with
 * a message saying how to get it: a silently skipped test would pass while checking nothing.
 */
public final class TestData {

    private TestData() {
    }

    public static Path root() {
        String prop = System.getProperty("caas.testdata");
        Path root = prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("..", "testdata");
        if (!Files.isDirectory(root)) {
            throw new AssertionError("test data folder " + root.toAbsolutePath() + " is missing: run "
                    + "scripts/fetch-testdata.sh (or set -Dcaas.testdata)");
        }
        return root;
    }

    public static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.isRegularFile(p)) {
            throw new AssertionError("test data file " + p.toAbsolutePath() + " is missing: run "
                    + "scripts/fetch-testdata.sh");
        }
        return p;
    }

    public static Path fashionMnist(String file) {
        return file("root/usr/share/datasets/fashion-mnist/" + file);
    }

    public static Path openWakeWord(String model) {
        return file("openwakeword/package/models/" + model);
    }

    public static Path paddleCls() {
        return file("paddleocr/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx");
    }
}
