package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxGraph;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.MiniLm;
import io.caas.engine.testing.NormalizationModels;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrainedParametersTest {

    private static final int VOCAB = 30;
    private static final int SEQ = 6;
    private static final int DIM = 8;
    private static final int OUT = 4;

    @Test
    void rolesComeFromHowTheGraphReadsEachWeight() {
        ParameterRoles roles = ParameterRoles.of(OnnxGraph.of(
                NormalizationModels.tokenModelWithNorm(1, VOCAB, SEQ, DIM, OUT)), Set.of("w"));
        assertThat(roles.of("word_embeddings")).isEqualTo(TrainableGroup.EMBEDDINGS);
        assertThat(roles.of("position_embeddings")).isEqualTo(TrainableGroup.EMBEDDINGS);
        assertThat(roles.of("ln_gamma")).isEqualTo(TrainableGroup.NORMALIZATION);
        assertThat(roles.of("ln_beta")).isEqualTo(TrainableGroup.NORMALIZATION);
        assertThat(roles.of("w")).isEqualTo(TrainableGroup.COMPRESSED);
        assertThat(roles.of("w_bias")).isEqualTo(TrainableGroup.OTHER);
    }

    @Test
    void theDefaultFreezesEmbeddingsAndNormalizationAndCountsTheRest() {
        try (InterpretedModel m = OnnxInterpreter.load(NormalizationModels.tokenModelWithNorm(1, VOCAB, SEQ, DIM, OUT),
                Device.cpu())) {
            TrainedParameters scope = TrainedParameters.select(m.block(), Set.of("w"), TrainableGroup.DEFAULT);
            Map<String, Parameter> p = m.block().weightParameters();
            assertThat(p.get("w").requiresGradient()).isTrue();
            assertThat(p.get("w_bias").requiresGradient()).isTrue();
            assertThat(p.get("word_embeddings").requiresGradient()).isFalse();
            assertThat(p.get("position_embeddings").requiresGradient()).isFalse();
            assertThat(p.get("ln_gamma").requiresGradient()).isFalse();
            assertThat(p.get("ln_beta").requiresGradient()).isFalse();
            assertThat(scope.trained()).containsOnly(
                    Map.entry(TrainableGroup.COMPRESSED, new TrainedParameters.Count(1, DIM * OUT)),
                    Map.entry(TrainableGroup.OTHER, new TrainedParameters.Count(1, OUT)));
            assertThat(scope.frozen()).containsOnly(
                    Map.entry(TrainableGroup.EMBEDDINGS, new TrainedParameters.Count(2, (VOCAB + SEQ) * DIM)),
                    Map.entry(TrainableGroup.NORMALIZATION, new TrainedParameters.Count(2, 2 * DIM)));
            assertThat(scope.trainedElements()).isEqualTo(DIM * OUT + OUT);
            assertThat(scope.describe()).isEqualTo("training 36 parameters in 2 weights (compressed 32 in 1, other 4 in 1); "
                    + "frozen: normalization 16 in 2, embeddings 288 in 2");
        }
    }

    @Test
    void askedForGroupsTrainAndWeightsFrozenBeforeStaySo() {
        try (InterpretedModel m = OnnxInterpreter.load(NormalizationModels.tokenModelWithNorm(1, VOCAB, SEQ, DIM, OUT),
                Device.cpu())) {
            m.block().weightParameters().get("w").freeze(true);
            TrainedParameters scope = TrainedParameters.select(m.block(), Set.of("w"),
                    EnumSet.of(TrainableGroup.COMPRESSED, TrainableGroup.EMBEDDINGS));
            assertThat(scope.trained()).containsOnlyKeys(TrainableGroup.EMBEDDINGS);
            assertThat(scope.frozen()).containsOnlyKeys(TrainableGroup.COMPRESSED, TrainableGroup.OTHER,
                    TrainableGroup.NORMALIZATION);
        }
    }

    @Test
    void miniLmDefaultLeavesHalfItsParametersOutOfTraining() {
        try (InterpretedModel m = OnnxInterpreter.load(MiniLm.model(), Device.cpu())) {
            TrainedParameters scope = TrainedParameters.select(m.block(), Set.of(), TrainableGroup.DEFAULT);
            // word (30522 x 384), position (512 x 384) and token type (2 x 384) tables
            assertThat(scope.frozen().get(TrainableGroup.EMBEDDINGS))
                    .isEqualTo(new TrainedParameters.Count(3, (30522L + 512 + 2) * 384));
            // 13 LayerNorms, scale and shift each
            assertThat(scope.frozen().get(TrainableGroup.NORMALIZATION))
                    .isEqualTo(new TrainedParameters.Count(26, 26L * 384));
            assertThat(scope.trained()).containsOnlyKeys(TrainableGroup.OTHER);
        }
    }
}
