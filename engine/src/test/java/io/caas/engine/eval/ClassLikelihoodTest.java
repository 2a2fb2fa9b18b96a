package io.caas.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

class ClassLikelihoodTest {

    @Test
    void logitsGoThroughLogSoftmax() {
        float[] logits = {2f, 0f, -1f};
        double z = Math.exp(2) + Math.exp(0) + Math.exp(-1);
        assertThat(ClassLikelihood.logProbability(logits, 0)).isCloseTo(2 - Math.log(z), offset(1e-9));
        assertThat(ClassLikelihood.logProbability(logits, 2)).isCloseTo(-1 - Math.log(z), offset(1e-9));
    }

    @Test
    void largeLogitsDoNotOverflow() {
        assertThat(ClassLikelihood.logProbability(new float[] {1000f, 0f}, 1)).isCloseTo(-1000, offset(1e-6));
    }

    @Test
    void probabilitiesAreReadAsTheyAre() {
        // a softmax head: log-softmax again would flatten it towards uniform
        assertThat(ClassLikelihood.logProbability(new float[] {0.7f, 0.2f, 0.1f}, 1))
                .isCloseTo(Math.log(0.2), offset(1e-6));
    }

    @Test
    void aSingleOutputIsASigmoidHeadsProbabilityOfClassOne() {
        assertThat(ClassLikelihood.logProbability(new float[] {0.8f}, 1)).isCloseTo(Math.log(0.8), offset(1e-6));
        assertThat(ClassLikelihood.logProbability(new float[] {0.8f}, 0)).isCloseTo(Math.log(0.2), offset(1e-6));
        assertThat(ClassLikelihood.logProbability(new float[] {0f}, 1)).as("bounded, not -infinity")
                .isGreaterThan(-30);
    }

    @Test
    void aLabelOutsideTheClassesIsRefused() {
        assertThatThrownBy(() -> ClassLikelihood.logProbability(new float[] {1f, 2f}, 2))
                .hasMessageContaining("outside the model's 2 classes");
    }
}
