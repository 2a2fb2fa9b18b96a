package io.caas.service.support;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real models and datasets fetched by scripts/fetch-testdata.sh; a missing file fails the test, never skips it. */
public final class TestMaterial {

    private TestMaterial() {
    }

    public static Path root() {
        String configured = System.getProperty("caas.testdata");
        Path root = configured != null ? Path.of(configured) : Path.of("..", "testdata");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("test material not found at " + root.toAbsolutePath()
                    + "; run scripts/fetch-testdata.sh (mvn verify does)");
        }
        return root;
    }

    public static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("test material " + p.toAbsolutePath() + " is missing; run scripts/fetch-testdata.sh");
        }
        return p;
    }

    /** openWakeWord's "hey jarvis" head: a real PyTorch export with three Gemm layers (1.2 MB). */
    public static Path wakeWordHead() {
        return file("openwakeword/package/models/hey_jarvis_v0.1.onnx");
    }

    /** PaddleOCR's text-direction classifier: a real Paddle export, 53 Conv, weights in Constant nodes. */
    public static Path paddleClassifier() {
        return file("paddleocr/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx");
    }

    public static Path fashionMnist(String name) {
        return file("root/usr/share/datasets/fashion-mnist/" + name);
    }
}
