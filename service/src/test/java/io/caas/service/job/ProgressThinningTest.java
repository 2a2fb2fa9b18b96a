package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class ProgressThinningTest {

    private static final long MS = 1_000_000L;

    @Test
    void aTrainingLoopWritesAboutOneEventPerPercentNotOnePerStep() {
        ProgressThinning thinning = new ProgressThinning();
        int events = 0;
        assertThat(thinning.record(0.0, "calibrating 5 layers on 512 samples", 0)).isTrue();
        // 2,000 steps over the second half of the job, 50 ms apart: each step's message differs (step, loss)
        for (int i = 1; i <= 2000; i++) {
            String message = String.format(Locale.ROOT, "fine-tuning: step %d of 2,000, loss %.4f", i, 1.0 / i);
            if (thinning.record(0.5 + 0.5 * i / 2000, message, i * 50 * MS)) {
                events++;
            }
        }
        assertThat(events).isBetween(50, 60);
        assertThat(thinning.record(1.0, "5 layers factorized and fine-tuned", 200_000 * MS)).as("a new phase")
                .isTrue();
    }

    @Test
    void aSlowPhaseWritesOneEventPer10SecondsAndNeverTheSameMessageTwice() {
        ProgressThinning thinning = new ProgressThinning();
        int events = 0;
        for (int s = 0; s < 60; s++) {
            if (thinning.record(0.3, "timing candidate " + s + " of 60", s * 1000 * MS)) {
                events++;
            }
        }
        assertThat(events).isEqualTo(6);
        assertThat(thinning.record(0.9, "timing candidate 59 of 60", 100_000 * MS)).isTrue();
        assertThat(thinning.record(0.95, "timing candidate 59 of 60", 200_000 * MS)).as("the same message again")
                .isFalse();
    }

    @Test
    void numbersDoNotMakeANewPhaseWordsDo() {
        assertThat(ProgressThinning.phase("speed target 2.00x: step 5 of 13, 1.94x measured"))
                .isEqualTo(ProgressThinning.phase("speed target 2.00x: step 11 of 13, 2.48x measured"));
        assertThat(ProgressThinning.phase("timed and scored layer 3 of 7"))
                .isNotEqualTo(ProgressThinning.phase("calibrated and decomposed 3 of 7 layers"));
    }
}
