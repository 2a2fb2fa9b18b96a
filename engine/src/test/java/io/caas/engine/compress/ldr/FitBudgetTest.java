package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.TrainingBudget;
import org.junit.jupiter.api.Test;

class FitBudgetTest {

    @Test
    void theFitTakesAtMostHalfOfAStepCapAndFineTuningTheRest() {
        FitBudget split = FitBudget.split(300, 3, new TrainingBudget(null, 400L, 64, 1e-3));
        assertThat(split.stepsPerLayer()).isEqualTo(66);
        assertThat(split.fineTuning()).isEqualTo(new TrainingBudget(null, 400L - 3 * 66, 64, 1e-3));

        FitBudget small = FitBudget.split(50, 2, new TrainingBudget(2, 1000L, null, null));
        assertThat(small.stepsPerLayer()).isEqualTo(50);
        assertThat(small.fineTuning()).isEqualTo(new TrainingBudget(2, 900L, null, null));

        FitBudget tiny = FitBudget.split(300, 2, new TrainingBudget(null, 3L, null, null));
        assertThat(tiny.stepsPerLayer()).isZero();
        assertThat(tiny.fineTuning().maxSteps()).isEqualTo(3L);
    }

    @Test
    void withoutAStepCapTheFitTakesItsStepsAndFineTuningItsEpochs() {
        TrainingBudget epochs = new TrainingBudget(2, null, 32, null);
        assertThat(FitBudget.split(300, 4, epochs)).isEqualTo(new FitBudget(300, epochs));
        assertThat(FitBudget.split(300, 4, null)).isEqualTo(new FitBudget(300, TrainingBudget.DEFAULTS));
    }
}
