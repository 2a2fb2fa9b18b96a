package io.caas.engine.compress.ldr;

import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.proto.Onnx.ModelProto;

/** ONNX Runtime's outputs for the ldr tests, flattened, and how far apart two sets of outputs are. */
final class OrtOutputs {

    private OrtOutputs() {
    }

    /** The first output on the first {@code samples} samples of {@code x}, each of {@code sampleShape}. */
    static float[] run(ModelProto model, float[] x, int samples, long... sampleShape) {
        try (ModelRunner runner = new ModelRunner(model, 1, sampleShape)) {
            float[][] rows = runner.run(x, 0, samples);
            float[] flat = new float[samples * rows[0].length];
            for (int i = 0; i < samples; i++) {
                System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
            }
            return flat;
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    static double maxAbs(float[] a) {
        return maxDiff(a, new float[a.length]);
    }
}
