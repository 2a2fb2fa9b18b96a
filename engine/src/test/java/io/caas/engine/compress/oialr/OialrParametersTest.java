package io.caas.engine.compress.oialr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OialrParametersTest {

    private final ModelSummary mlp = ModelInspector.inspect(OnnxModelBuilder.gemmMlp(1, 20, 16, 8, 4));

    @Test
    void defaults() {
        OialrParameters p = OialrParameters.parse(Map.of(), mlp);
        assertThat(p.frequency()).isEqualTo(OialrMethod.DEFAULT_FREQUENCY);
        assertThat(p.sigmaCutoff()).isEqualTo(OialrMethod.DEFAULT_SIGMA_CUTOFF);
        assertThat(p.minRank()).isEqualTo(OialrMethod.DEFAULT_MIN_RANK);
        assertThat(p.layers()).isEmpty();
        assertThat(p.skipFirstAndLast()).isTrue();
    }

    @Test
    void acceptsStringsAsJsonFormsSendThem() {
        OialrParameters p = OialrParameters.parse(Map.of("frequency", "50", "sigmaCutoff", 0.2, "minRank", 3,
                "layers", "gemm_0, gemm_2", "skipFirstAndLast", "false"), mlp);
        assertThat(p.frequency()).isEqualTo(50);
        assertThat(p.sigmaCutoff()).isEqualTo(0.2);
        assertThat(p.minRank()).isEqualTo(3);
        assertThat(p.layers()).containsExactly("gemm_0", "gemm_2");
        assertThat(p.skipFirstAndLast()).isFalse();
    }

    @Test
    void listsEveryProblem() {
        assertThatThrownBy(() -> new OialrMethod().validate(Map.of("frequency", 0, "sigmaCutoff", 1.0,
                "minRank", -1, "layers", List.of("gemm_0", "nope"), "skipFirstAndLast", "maybe", "rank", 4), mlp))
                .isInstanceOfSatisfying(InvalidParametersException.class, e -> assertThat(e.problems())
                        .hasSize(6)
                        .anySatisfy(m -> assertThat(m).contains("unknown parameter 'rank'"))
                        .anySatisfy(m -> assertThat(m).contains("frequency must be an integer ≥ 1, got 0"))
                        .anySatisfy(m -> assertThat(m).contains("sigmaCutoff must be a number in (0, 1), got 1.0"))
                        .anySatisfy(m -> assertThat(m).contains("minRank must be an integer ≥ 1, got -1"))
                        .anySatisfy(m -> assertThat(m).contains("unknown layer 'nope'"))
                        .anySatisfy(m -> assertThat(m).contains("skipFirstAndLast must be true or false")));
    }

    @Test
    void cutoffBoundsAreExclusive() {
        for (Object bad : new Object[] {0, 0.0, -0.1, 1, 1.5, "x"}) {
            assertThatThrownBy(() -> OialrParameters.parse(Map.of("sigmaCutoff", bad), mlp))
                    .isInstanceOf(InvalidParametersException.class).hasMessageContaining("sigmaCutoff");
        }
        assertThat(OialrParameters.parse(Map.of("sigmaCutoff", 0.999), mlp).sigmaCutoff()).isEqualTo(0.999);
    }

    @Test
    void needsTrainingDataAndIsRegistered() {
        assertThat(new OialrMethod().descriptor().needsTrainingData()).isTrue();
        assertThat(io.caas.engine.compress.CompressionMethods.get("oialr")).isInstanceOf(OialrMethod.class);
    }
}
