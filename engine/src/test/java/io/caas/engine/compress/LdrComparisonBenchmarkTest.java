package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.data.Dataset;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.ComparisonCnn;
import io.caas.engine.testing.FashionMnistModels;
import java.util.ArrayList;
import java.util.Arrays;
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
        rows.add(MethodComparisonBenchmarkTest.format(new MethodComparisonBenchmarkTest.Row("original", "—", original,
                0), original));
        for (MethodComparisonBenchmarkTest.Setting s : selected(settings)) {
            MethodComparisonBenchmarkTest.Outcome o = MethodComparisonBenchmarkTest.run(model, s, train, test);
            String row = MethodComparisonBenchmarkTest.format(o.row(), original);
            rows.add(row);
            System.out.println(row + " fine-tuning steps " + o.result().curves().get("loss").size());
            o.result().layers().forEach(l -> System.out.println("  " + l.node() + ": " + l.note()));
            assertThat(o.row().m().parameters()).isLessThan(original.parameters());
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
        return Arrays.stream(chosen.split(",")).map(String::strip).map(Integer::parseInt).map(all::get)
                .toList();
    }

    /** The CNN of the first comparison, trained once and kept under target/. */
    static ModelProto pretrained(Dataset train) throws Exception {
        return ComparisonCnn.pretrained("comparison-cnn-seed5",
                FashionMnistModels.deepCnn(5, 16, 32, 128, 512, 128), train);
    }
}
