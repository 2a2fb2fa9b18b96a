package io.caas.engine.compress.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.TestData;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A whole-model parameter budget for tucker, cp and tt on PaddleOCR's real PP-OCRv4 detector (3×3 convs over 96
 * channels; the first conv and the last weighted layer left as they are by default): the compressed model stays
 * at or under the budget and close to it, each decomposed layer's note names the ratio chosen, and a budget below
 * the smallest ranks is refused with that smallest size.
 */
class TensorTargetParametersTest {

    private static ModelProto detector;
    private static ModelSummary summary;
    /** The convs the methods decompose by default: eligible ones but the first conv and the last weighted layer. */
    private static List<WeightedLayer> chosen;

    @BeforeAll
    static void load() throws Exception {
        detector = OnnxModels.read(TestData.file("paddleocr/package/assets/ch_PP-OCRv4_det_infer.onnx"));
        summary = ModelInspector.inspect(detector);
        WeightedLayer firstConv = summary.layers().stream().filter(l -> l.kind() == LayerKind.CONV).findFirst()
                .orElseThrow();
        WeightedLayer last = summary.layers().get(summary.layers().size() - 1);
        chosen = summary.layers().stream().filter(TensorParameters::eligible)
                .filter(l -> l != firstConv && l != last).toList();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tucker", "cp", "tt"})
    void theModelEndsAtOrJustUnderTheBudget(String method) throws Exception {
        long before = summary.parameters();
        long decomposable = chosen.stream().mapToLong(WeightedLayer::parameters).sum();
        // a budget that needs the decomposed layers at about 40 % of their size
        long target = before - (long) (0.6 * decomposable);

        long t0 = System.nanoTime();
        CompressionResult r = CompressionMethods.get(method).compress(new CompressionTask(detector,
                Map.of("targetParameters", target, "sensitivitySamples", 0), Optional.empty(), Optional.empty()),
                ProgressListener.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long after = ModelInspector.inspect(r.compressed()).parameters();
        List<LayerReport> done = r.layers().stream().filter(LayerReport::factorized).toList();
        System.out.printf("%s on the PP-OCRv4 detector: %d parameters, target %d, result %d (%d under, %.2f%% of "
                        + "the %d decomposed layers' %d), %.1f s%n", method, before, target, after, target - after,
                100.0 * (target - after) / decomposable, done.size(), decomposable, seconds);
        done.forEach(l -> System.out.printf("  %s %d -> %d: %s%n", l.node(), l.parametersBefore(),
                l.parametersAfter(), l.note()));

        assertThat(done).extracting(LayerReport::node)
                .containsExactlyElementsOf(chosen.stream().map(WeightedLayer::node).toList());
        assertThat(after).isLessThanOrEqualTo(target);
        assertThat(target - after).isLessThanOrEqualTo((long) (0.03 * decomposable));
        assertThat(done).allSatisfy(l -> assertThat(l.note()).containsPattern("by ratio 0\\.\\d+ \\(the largest "
                + "common ratio within targetParameters " + target + "\\)"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tucker", "cp", "tt"})
    void aBudgetBelowTheSmallestRanksIsRefusedNamingTheSmallestModel(String method) {
        long untouched = summary.parameters() - chosen.stream().mapToLong(WeightedLayer::parameters).sum();
        // every chosen layer at ranks 1: tucker's core keeps the kernel's kh·kw, cp's and tt's middle factors kh + kw
        long floor = untouched + chosen.stream().mapToLong(l -> {
            List<Long> s = l.weightShape();
            long middle = method.equals("tucker") ? s.get(2) * s.get(3) : s.get(2) + s.get(3);
            return Math.min(s.get(0) + s.get(1) + middle, l.parameters());
        }).sum();
        CompressionMethod m = CompressionMethods.get(method);

        m.validate(Map.of("targetParameters", floor), summary);
        assertThatThrownBy(() -> m.validate(Map.of("targetParameters", floor - 1), summary))
                .isInstanceOf(InvalidParametersException.class)
                .hasMessageContaining("targetParameters " + (floor - 1) + " is below the smallest model " + method
                        + " can make here: " + floor + " parameters");
    }

    @Test
    void theBudgetIsOneOfTheSizeParametersAndExcludesTheOthers() {
        CompressionMethod tucker = CompressionMethods.get("tucker");
        assertThat(tucker.sizeParameters()).isEqualTo(Set.of("energy", "ratio", "ranks", "targetParameters"));
        assertThat(tucker.withParameterBudget(Map.of("ratio", 0.3), 1000)).isEmpty();
        assertThat(tucker.withParameterBudget(Map.of("fineTune", false), 1000).orElseThrow())
                .containsEntry("targetParameters", 1000L).containsEntry("fineTune", false);
        assertThatThrownBy(() -> tucker.validate(Map.of("targetParameters", summary.parameters(), "ratio", 0.3),
                summary)).isInstanceOf(InvalidParametersException.class)
                .hasMessageContaining("give it without ratio");
        assertThat(tucker.descriptor().parameters()).anySatisfy(p -> assertThat(p.name()).isEqualTo(
                "targetParameters"));
    }
}
