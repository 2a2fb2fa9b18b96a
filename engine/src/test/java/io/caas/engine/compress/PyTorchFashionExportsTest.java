package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.data.DatasetLimits;
import io.caas.engine.data.DatasetLoader;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OrtVsInterpreter;
import io.caas.engine.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two Fashion-MNIST models exported from PyTorch 1.13 by scripts/export-fashion-models.sh (a ResNet-style CNN
 * and a Transformer encoder classifier, the benchmark models of issue 20): the ONNX file itself, run in ONNX
 * Runtime through the {@link Evaluator}, gives the top-1 on the 10,000 test images that PyTorch measured before
 * the export (fashion-models.json, within 0.002), at a batch size other than the export's; and the engine's
 * interpreter predicts the same class as ONNX Runtime on the first 256 test images.
 *
 * <p>Run: {@code scripts/export-fashion-models.sh} once (about 30 minutes), then
 * {@code mvn -B -o -q -pl engine test -Pslow -Dtest=PyTorchFashionExportsTest}; {@code -Dfashion.models=DIR} for
 * files written elsewhere than testdata/fashion-models.
 */
@Tag("slow")
class PyTorchFashionExportsTest {

    static final int INTERPRETER_SAMPLES = 256;
    static final long[] SAMPLE = {1, 28, 28};

    private static Dataset test;
    private static JsonObject exported;
    private static Path dir;

    @BeforeAll
    static void load() throws IOException {
        String prop = System.getProperty("fashion.models");
        dir = prop != null && !prop.isBlank() ? Path.of(prop) : TestData.root().resolve("fashion-models");
        Path json = dir.resolve("fashion-models.json");
        if (!Files.isRegularFile(json)) {
            throw new AssertionError(json.toAbsolutePath() + " is missing: run scripts/export-fashion-models.sh");
        }
        exported = JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonObject("models");
        test = DatasetLoader.load(TestData.fashionMnist("t10k-images-idx3-ubyte.gz"), DatasetLimits.defaults());
        assertThat(test.size()).isEqualTo(10_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet", "transformer"})
    void onnxRuntimeGivesPyTorchsAccuracyAndTheInterpreterItsPredictions(String name) {
        JsonObject entry = exported.getAsJsonObject(name);
        assertThat(entry).as(name + " in fashion-models.json").isNotNull();
        ModelProto model = OnnxModels.read(dir.resolve(entry.get("file").getAsString()));
        ModelSummary summary = ModelInspector.inspect(model);
        assertThat(summary.unsupportedOperators()).isEmpty();
        assertThat(summary.inputs()).hasSize(1);
        assertThat(summary.inputs().get(0).name()).isEqualTo("x");
        assertThat(summary.outputs().get(0).name()).isEqualTo("logits");
        assertThat(summary.parameters()).isGreaterThanOrEqualTo(entry.get("onnx_float_weight_elements").getAsLong());

        // ONNX Runtime, batches of 250 (the export traced batch 3), all 10,000 test images.
        ModelMeasurements m = Evaluator.measure(model, Optional.of(test),
                EvaluationOptions.defaults().withRuns(2, 5).withBatchSize(250));
        double pytorch = entry.get("test_top1").getAsDouble();
        assertThat(m.batchFixedToOne()).isFalse();
        assertThat(m.evaluatedSamples()).isEqualTo(10_000);

        // The interpreter against ONNX Runtime on the first 256 test images: same class for each.
        List<DatasetInput> parts = List.of(new DatasetInput("x", SAMPLE));
        float[] x = Arrays.copyOf(test.features(), INTERPRETER_SAMPLES * 28 * 28);
        float[][] ort = OrtVsInterpreter.onnxRuntime(model, parts, x, INTERPRETER_SAMPLES);
        float[] interp = OrtVsInterpreter.interpreter(model, parts, x, INTERPRETER_SAMPLES);
        assertThat(interp).hasSize(INTERPRETER_SAMPLES * 10);
        int agree = 0;
        double maxAbs = 0;
        for (int i = 0; i < INTERPRETER_SAMPLES; i++) {
            float[] row = Arrays.copyOfRange(interp, i * 10, i * 10 + 10);
            if (argmax(row) == argmax(ort[i])) {
                agree++;
            }
            for (int c = 0; c < 10; c++) {
                maxAbs = Math.max(maxAbs, Math.abs(row[c] - ort[i][c]));
            }
        }

        System.out.printf(Locale.ROOT, "%s: %s%n  ONNX Runtime top-1 %.4f (PyTorch %.4f), %,d parameters (PyTorch "
                        + "%,d), opset %d, ops %s%n  ORT p50 batch 1 %.2f ms, batch 250 %.1f ms (1 thread); "
                        + "interpreter vs ORT on %d images: %d same class, max |logit diff| %.2e%n",
                name, entry.get("file").getAsString(), m.top1Accuracy(), pytorch, summary.parameters(),
                entry.get("parameters").getAsLong(), summary.opsetVersion(),
                new TreeMap<>(summary.operatorCounts()), m.batch1().p50Ms(), m.batchN().p50Ms(),
                INTERPRETER_SAMPLES, agree, maxAbs);

        assertThat(m.top1Accuracy()).as(name + " top-1 in ONNX Runtime vs PyTorch's").isCloseTo(pytorch, within(0.002));
        assertThat(agree).as(name + ": interpreter and ONNX Runtime predict the same class").isEqualTo(INTERPRETER_SAMPLES);
        assertThat(maxAbs).as(name + ": largest logit difference").isLessThan(1e-2);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
