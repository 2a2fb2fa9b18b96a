package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.testing.MiniLm;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.NormalizationModels;
import io.caas.engine.testing.NormalizationModels.Form;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerNormPatternTest {

    @Test
    void findsTheExportedPatternWithItsWeightsAndEpsilon() {
        List<LayerNormPattern.Match> found = LayerNormPattern.find(OnnxGraph.of(
                NormalizationModels.projectionThenNorm(1, 8, Form.EXPORTED)));
        assertThat(found).hasSize(1);
        LayerNormPattern.Match m = found.get(0);
        assertThat(m.input()).isEqualTo("h");
        assertThat(m.gamma()).isEqualTo("ln_gamma");
        assertThat(m.beta()).isEqualTo("ln_beta");
        assertThat(m.epsilon()).isEqualTo(1e-12f);
        assertThat(m.output()).isEqualTo("y");
        assertThat(m.nodes()).extracting(OnnxNode::opType).containsExactly("ReduceMean", "Sub", "Pow", "ReduceMean",
                "Add", "Sqrt", "Div", "Mul", "Add");
    }

    @Test
    void nearMissesAreNotThePattern() {
        assertThat(LayerNormPattern.find(OnnxGraph.of(
                NormalizationModels.projectionThenNorm(1, 8, Form.EPSILON_AFTER_SQRT)))).isEmpty();
        assertThat(LayerNormPattern.find(OnnxGraph.of(
                NormalizationModels.projectionThenNorm(1, 8, Form.CENTRED_ALSO_OUTPUT)))).isEmpty();
    }

    @Test
    void findsEveryLayerNormOfMiniLm() {
        ModelProto minilm = MiniLm.model();
        List<LayerNormPattern.Match> found = LayerNormPattern.find(OnnxGraph.of(minilm));
        // after the embeddings, and twice in each of the six layers
        assertThat(found).hasSize(13);
        assertThat(found).allSatisfy(m -> assertThat(m.epsilon()).isEqualTo(1e-12f));
        assertThat(found.get(0).gamma()).isEqualTo("embeddings.LayerNorm.weight");
    }
}
