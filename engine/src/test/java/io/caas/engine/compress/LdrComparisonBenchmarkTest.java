package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.data.Dataset;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ldr rows of {@link MethodComparisonBenchmarkTest} alone, on the same pretrained CNN, data and 400-step budget,
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
        ModelProto model = MethodComparisonBenchmarkTest.pretrained(train);
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
        rows.add(MethodComparisonBenchmarkTest.row("original", "—", original, original, 0));
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
            String row = MethodComparisonBenchmarkTest.row(s.label(), MethodComparisonBenchmarkTest.share(after,
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
}
