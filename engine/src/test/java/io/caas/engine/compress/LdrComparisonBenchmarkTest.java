package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.data.Dataset;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.onnx.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ldr settings on the CNN of the first method comparison (before it gained a bilinear layer: Conv16-Conv32-
 * Gemm 1568→128-Gemm 512-Gemm 128-Gemm 10), with that comparison's data and 400-step budget,
 * with the data-aware fit (now the default) against the closed-form one, and with the first dense layer after the
 * convolutions left dense. Prints the rows in the comparison's format, then each layer's note (weight and output
 * error before and after the data fit).
 * Run: mvn -B -pl engine test -Pslow -Dtest=LdrComparisonBenchmarkTest
 */
@Tag("slow")
class LdrComparisonBenchmarkTest {

    @Test
    void ldrSettingsOnTheComparisonCnn() throws Exception {
        Dataset train = FashionMnistModels.slice(FashionMnistModels.load(true), 0, MethodComparisonBenchmarkTest.TRAIN,
                true);
        Dataset test = FashionMnistModels.slice(FashionMnistModels.load(false), 0, MethodComparisonBenchmarkTest.TEST,
                true);
        ModelProto model = pretrained(train);
        ModelMeasurements original = Evaluator.measure(model, Optional.of(test), MethodComparisonBenchmarkTest.OPTIONS);
        List<MethodComparisonBenchmarkTest.Setting> settings = List.of(
                new MethodComparisonBenchmarkTest.Setting("ldr toeplitz-like r=2, fit data", "ldr", Map.of()),
                new MethodComparisonBenchmarkTest.Setting("ldr circulant, fit data", "ldr",
                        Map.of("structure", "circulant")),
                new MethodComparisonBenchmarkTest.Setting("ldr toeplitz-like r=2, fit data, first dense kept", "ldr",
                        Map.of("layers", List.of("gemm_9", "gemm_11"))),
                new MethodComparisonBenchmarkTest.Setting("ldr toeplitz-like r=2, fit weight", "ldr",
                        Map.of("fit", "weight")));
        List<String> rows = new ArrayList<>();
        rows.add(row("original", "—", original, original, 0));
        for (MethodComparisonBenchmarkTest.Setting s : selected(settings)) {
            long start = System.nanoTime();
            CompressionResult r = CompressionMethods.get(s.method()).compress(new CompressionTask(model,
                    s.parameters(), Optional.of(train), Optional.empty(), MethodComparisonBenchmarkTest.FINE_TUNE),
                    ProgressListener.NONE);
            double seconds = (System.nanoTime() - start) / 1e9;
            ModelMeasurements m = Evaluator.measure(r.compressed(), Optional.of(test),
                    MethodComparisonBenchmarkTest.OPTIONS);
            long before = 0;
            long after = 0;
            for (LayerReport l : r.layers()) {
                if (l.factorized()) {
                    before += l.parametersBefore();
                    after += l.parametersAfter();
                }
            }
            List<double[]> loss = r.curves().get("loss");
            String row = row(s.label(), share(after,
                    before), m, original, seconds);
            rows.add(row);
            System.out.println(row + " fine-tuning steps " + loss.size());
            r.layers().forEach(l -> System.out.println("  " + l.node() + ": " + l.note()));
            assertThat(m.parameters()).isLessThan(original.parameters());
        }
        rows.forEach(System.out::println);
    }

    /** -Dldr.settings=0,2 runs only those rows (by position), to rerun one without the others. */
    private static List<MethodComparisonBenchmarkTest.Setting> selected(
            List<MethodComparisonBenchmarkTest.Setting> all) {
        String chosen = System.getProperty("ldr.settings");
        if (chosen == null || chosen.isBlank()) {
            return all;
        }
        return java.util.Arrays.stream(chosen.split(",")).map(String::strip).map(Integer::parseInt).map(all::get)
                .toList();
    }

    /** The model, trained once and kept under target/ so reruns skip the slowest part. */
    static ModelProto pretrained(Dataset train) throws Exception {
        Path cached = Path.of("target", "comparison-cnn-seed5-" + MethodComparisonBenchmarkTest.PRETRAIN_STEPS + ".onnx");
        if (Files.isRegularFile(cached)) {
            return OnnxModels.read(cached);
        }
        ModelProto trained = FashionMnistModels.train(FashionMnistModels.deepCnn(5, 16, 32, 128, 512, 128), train,
                1e-3f, 64, MethodComparisonBenchmarkTest.PRETRAIN_STEPS);
        OnnxModels.write(trained, cached);
        return trained;
    }

    static String share(long after, long before) {
        return before == 0 ? "none rewritten"
                : String.format(Locale.ROOT, "%d → %d (%.0f %%)", before, after, 100.0 * after / before);
    }

    static String row(String label, String touched, ModelMeasurements m, ModelMeasurements original,
                      double seconds) {
        return String.format(Locale.ROOT, "| %s | %s | %d | %d | %.4f | %+.4f | %.3f | %.3f | %.0f |", label, touched,
                m.parameters(), m.serializedBytes(), m.top1Accuracy(), m.top1Accuracy() - original.top1Accuracy(),
                m.batch1().p50Ms(), m.batchN().p50Ms(), seconds);
    }

}
