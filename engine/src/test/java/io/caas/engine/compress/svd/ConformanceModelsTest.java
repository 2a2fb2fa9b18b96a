package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import io.caas.engine.testing.TestData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX's own conformance cases (PyTorch-converted, IR 3, opset 6: weights listed as graph inputs), factorized at full rank and checked against the reference outputs shipped with them.
 */
class ConformanceModelsTest {

    // test_Linear (Gemm-6) is left out: ONNX Runtime implements Gemm only from opset 7 and refuses the original
    @ParameterizedTest
    @ValueSource(strings = {"test_Conv2d", "test_Conv2d_strided", "test_Conv2d_no_bias",
            "test_Conv2d_dilated", "test_Conv2d_padding"})
    void fullRankFactorizationReproducesTheReferenceOutput(String name) throws Exception {
        Path dir = TestData.file("root/usr/share/libonnx-testdata/data/pytorch-converted/" + name + "/model.onnx")
                .getParent();
        ModelProto model = OnnxModels.read(dir.resolve("model.onnx"));
        TensorProto input = tensor(dir.resolve("test_data_set_0/input_0.pb"));
        float[] expected = Tensors.toFloats(tensor(dir.resolve("test_data_set_0/output_0.pb")));

        CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(model,
                Map.of("rank", 1000, "onlyIfSmaller", false, "skipFirstAndLast", false, "onlyIfFaster", false), Optional.empty(),
                Optional.empty()), ProgressListener.NONE);
        assertThat(r.layers()).hasSize(1);
        assertThat(r.layers().get(0).factorized()).isTrue();

        assertMatches(run(model, input), expected);
        assertMatches(run(r.compressed(), input), expected);
        // IR 3 lists weights as inputs: the dense weight "1" left with its initializer, the factors came in
        assertThat(r.compressed().getGraph().getInputList()).extracting(ValueInfoProto::getName)
                .doesNotContain("1").anyMatch(n -> n.endsWith("svd_first_weight"));
        assertThat(r.compressed().getGraph().getInitializerList()).extracting(TensorProto::getName).doesNotContain("1");
    }

    private static float[] run(ModelProto model, TensorProto input) {
        long[] dims = input.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long[] sample = java.util.Arrays.copyOfRange(dims, 1, dims.length);
        try (ModelRunner runner = new ModelRunner(model, 1, sample)) {
            float[][] rows = runner.run(Tensors.toFloats(input), 0, (int) dims[0]);
            float[] flat = new float[rows.length * rows[0].length];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(rows[i], 0, flat, i * rows[i].length, rows[i].length);
            }
            return flat;
        }
    }

    private static void assertMatches(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(actual[i] - expected[i])).as("element %d", i)
                    .isLessThanOrEqualTo(1e-4f + 1e-3f * Math.abs(expected[i]));
        }
    }

    private static TensorProto tensor(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return TensorProto.parseFrom(in);
        }
    }
}
