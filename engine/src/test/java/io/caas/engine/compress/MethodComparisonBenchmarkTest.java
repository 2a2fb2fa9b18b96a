package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.ComparisonCnn;
import io.caas.engine.testing.FashionMnistModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every method on one model and one dataset, with one fine-tuning budget, each against {@code svd} and {@code oialr}
 * at a matched parameter budget.
 *
 * <p>The model is a Fashion-MNIST CNN built so that every method has something to rewrite: two 3×3 convs
 * (tucker/cp/tt), dense layers (svd/oialr/ldr), a 128→512→128 block (tied) and a bilinear layer (bilinear) fusing
 * the dense path with the conv features' global average, as a bilinear CNN does. It is trained by the engine.
 *
 * <p>Each method runs with its own setting; then svd (fine-tuned) and oialr are given the same layers and, through
 * {@code targetParameters}, the size that method reached, so each group compares accuracy at one parameter count.
 * Where svd/oialr cannot rewrite the method's layers (the bilinear weight), they get their default layers and the
 * same whole-model size.
 *
 * <p>Run: {@code mvn -B -pl engine test -Pslow -Dtest=MethodComparisonBenchmarkTest}; a subset of the groups with
 * {@code -Dcomparison.only=tied,ldr} (the group labels' first words).
 */
@Tag("slow")
class MethodComparisonBenchmarkTest {

    static final int TRAIN = ComparisonCnn.TRAIN;
    static final int TEST = 2_000;
    /** Each method's own default rate, unless -Dcomparison.lr gives every run one rate. */
    static final TrainingBudget FINE_TUNE = new TrainingBudget(null, 400L, 64,
            System.getProperty("comparison.lr") == null ? null : Double.valueOf(System.getProperty("comparison.lr")));
    static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(20, 100).withBatchSize(64);
    /** oialr cuts only to the budget here (its σ cut-off at 0.05 rarely fires), re-orthogonalising every 50 steps. */
    static final Map<String, Object> OIALR_MATCHED = Map.of("frequency", 50, "sigmaCutoff", 0.05);

    record Setting(String label, String method, Map<String, Object> parameters) {
    }

    record Row(String label, String touched, ModelMeasurements m, double seconds) {
    }

    @Test
    void everyMethodAgainstLowRankAtTheSameSize() throws Exception {
        Dataset train = FashionMnistModels.slice(FashionMnistModels.load(true), 0, TRAIN, true);
        Dataset test = FashionMnistModels.slice(FashionMnistModels.load(false), 0, TEST, true);
        ModelProto model = ComparisonCnn.pretrained(train);
        ModelMeasurements original = Evaluator.measure(model, Optional.of(test), OPTIONS);
        Set<String> lowRankLayers = ModelInspector.inspect(model).layers().stream()
                .filter(l -> CompressionMethods.get("svd").appliesTo(l)).map(WeightedLayer::node)
                .collect(Collectors.toSet());

        List<Setting> settings = List.of(
                new Setting("svd ratio 0.5", "svd", Map.of("ratio", 0.5, "fineTune", true, "onlyIfFaster", false)),
                new Setting("tucker ratio 0.5", "tucker", Map.of("ratio", 0.5, "skipFirstAndLast", false,
                        "fineTune", true)),
                new Setting("cp ratio 0.5", "cp", Map.of("ratio", 0.5, "skipFirstAndLast", false, "fineTune", true)),
                new Setting("tt ratio 0.5", "tt", Map.of("ratio", 0.5, "skipFirstAndLast", false, "fineTune", true)),
                new Setting("ldr toeplitz-like r=2", "ldr", Map.of("fineTune", true)),
                new Setting("ldr circulant", "ldr", Map.of("structure", "circulant", "fineTune", true)),
                new Setting("bilinear ratio 0.1", "bilinear", Map.of("fineTune", true)),
                new Setting("tied", "tied", Map.of("fineTune", true)));
        String only = System.getProperty("comparison.only", "");
        List<String> groups = only.isBlank() ? null : Arrays.asList(only.split(","));

        List<Row> rows = new ArrayList<>();
        rows.add(new Row("original", "—", original, 0));
        for (Setting s : settings) {
            if (groups != null && !groups.contains(s.label().split(" ")[0])) {
                continue;
            }
            Outcome own = run(model, s, train, test);
            rows.add(own.row());
            List<String> same = own.rewritten().stream().filter(lowRankLayers::contains).toList();
            Map<String, Object> layers = same.isEmpty() ? Map.of() : Map.of("layers", same);
            String where = same.isEmpty() ? "default layers" : "same layers";
            long size = own.row().m().parameters();
            if (!s.method().equals("svd")) {
                rows.add(matched("  svd, " + where + ", same size", "svd", layers, Map.of("fineTune", true), size,
                        model, train, test));
            }
            rows.add(matched("  oialr, " + where + ", same size", "oialr", layers, OIALR_MATCHED, size, model, train,
                    test));
        }
        System.out.println("| setting | layers rewritten: params kept | model params | bytes | top-1 (2k test) "
                + "| Δ top-1 | ORT p50 b1 (ms) | ORT p50 b64 (ms) | compress + fine-tune (s) |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        rows.forEach(r -> System.out.println(format(r, original)));
    }

    /** A run's table row, the layers it rewrote, and the method's own result (layer notes, curves). */
    record Outcome(Row row, List<String> rewritten, CompressionResult result) {
    }

    static Outcome run(ModelProto model, Setting s, Dataset train, Dataset test) throws Exception {
        long start = System.nanoTime();
        System.out.println("comparison: running " + s.label() + " " + s.parameters());
        CompressionResult r = CompressionMethods.get(s.method()).compress(new CompressionTask(model, s.parameters(),
                Optional.of(train), Optional.empty(), FINE_TUNE), ProgressListener.NONE);
        double seconds = (System.nanoTime() - start) / 1e9;
        ModelMeasurements m = Evaluator.measure(r.compressed(), Optional.of(test), OPTIONS);
        long before = 0;
        long after = 0;
        List<String> rewritten = new ArrayList<>();
        for (LayerReport l : r.layers()) {
            if (l.factorized()) {
                before += l.parametersBefore();
                after += l.parametersAfter();
                rewritten.addAll(Arrays.asList(l.node().split("\\+"))); // tied reports a pair as "a+b"
            }
        }
        assertThat(m.parameters()).as(s.label()).isLessThanOrEqualTo(ModelInspector.inspect(model).parameters());
        Row row = new Row(s.label(), share(after, before, rewritten), m, seconds);
        System.out.println("comparison row: " + format(row, null));
        return new Outcome(row, rewritten, r);
    }

    /** svd or oialr on the given layers, aimed at {@code size} parameters; a size out of its reach gets a row saying so. */
    static Row matched(String label, String method, Map<String, Object> layers, Map<String, Object> setting,
                       long size, ModelProto model, Dataset train, Dataset test) throws Exception {
        Map<String, Object> p = new LinkedHashMap<>(setting);
        p.putAll(layers);
        p.put("targetParameters", size);
        try {
            Outcome o = run(model, new Setting(label, method, p), train, test);
            assertThat(o.row().m().parameters()).as(label).isLessThanOrEqualTo(size);
            return o.row();
        } catch (InvalidParametersException e) {
            return new Row(label + ": " + String.join("; ", e.problems()), "—", null, 0);
        }
    }

    static String share(long after, long before, List<String> layers) {
        return before == 0 ? "none rewritten" : String.format(Locale.ROOT, "%s: %d → %d (%.0f %%)",
                String.join(", ", layers), before, after, 100.0 * after / before);
    }

    static String format(Row r, ModelMeasurements original) {
        if (r.m() == null) {
            return "| " + r.label() + " | — | — | — | — | — | — | — | — |";
        }
        ModelMeasurements m = r.m();
        return String.format(Locale.ROOT, "| %s | %s | %d | %d | %.4f | %+.4f | %.3f | %.3f | %.0f |", r.label(),
                r.touched(), m.parameters(), m.serializedBytes(), m.top1Accuracy(),
                original == null ? 0 : m.top1Accuracy() - original.top1Accuracy(), m.batch1().p50Ms(), m.batchN().p50Ms(), r.seconds());
    }
}
