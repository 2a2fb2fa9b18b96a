package io.caas.engine.testing;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.List;

/** Real classifiers fitted in closed form, so tests get a model with a meaningful accuracy without training. */
public final class Classifiers {

    private Classifiers() {
    }

    /**
     * Nearest class mean as one Gemm: score_c(x) = x·μ_c − ||μ_c||²/2. Input "x" [N, sampleShape...] flattened,
     * output "y" [N, classes]; the weight is a [features, classes] initializer "w".
     */
    public static ModelProto nearestCentroid(Dataset train) {
        int dims = train.sampleElements();
        int classes = train.classes();
        float[] w = new float[dims * classes];
        float[] bias = new float[classes];
        int[] counts = new int[classes];
        for (int i = 0; i < train.size(); i++) {
            int c = train.labels()[i];
            counts[c]++;
            for (int k = 0; k < dims; k++) {
                w[k * classes + c] += train.features()[i * dims + k];
            }
        }
        for (int k = 0; k < dims * classes; k++) {
            w[k] /= Math.max(1, counts[k % classes]);
        }
        for (int c = 0; c < classes; c++) {
            double n = 0;
            for (int k = 0; k < dims; k++) {
                n += (double) w[k * classes + c] * w[k * classes + c];
            }
            bias[c] = (float) (-n / 2);
        }
        long[] input = new long[train.sampleShape().length + 1];
        input[0] = -1;
        System.arraycopy(train.sampleShape(), 0, input, 1, train.sampleShape().length);
        return new OnnxModelBuilder("centroids", 13).input("x", input)
                .initializer("w", w, dims, classes).initializer("b", bias, classes)
                .node("Flatten", List.of("x"), List.of("f"))
                .node("Gemm", List.of("f", "w", "b"), List.of("y"))
                .output("y", -1, classes).build();
    }
}
