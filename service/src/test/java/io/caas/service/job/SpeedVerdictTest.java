package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.eval.LatencyStats;
import io.caas.engine.eval.PairedLatency;
import org.junit.jupiter.api.Test;

class SpeedVerdictTest {

    private static PairedLatency paired(int batch, double ratio, boolean disagree) {
        LatencyStats original = new LatencyStats(batch, false, 30, 1.0, 1.2, 1.05);
        LatencyStats compressed = new LatencyStats(batch, false, 30, ratio, ratio * 1.2, ratio * 1.05);
        return new PairedLatency(batch, original, compressed, 10, 3, ratio, ratio * 0.98, ratio * 1.02, disagree);
    }

    @Test
    void aCompressedModelSlowerAtOneBatchSizeIsCalledSlowerAndThatComesFirst() {
        JobReport.Speed speed = JobReport.Speed.of(paired(1, 1 / 1.3, false), paired(32, 1.12, false));

        assertThat(speed.slower()).isTrue();
        assertThat(speed.verdict()).isEqualTo("The compressed model is 1.12x slower at batch 32 and 1.30x faster at "
                + "batch 1 (median of 10 paired rounds at each batch size).");
    }

    @Test
    void fasterEverywhereIsNotSlowerAndRoundsThatDisagreeAreSaid() {
        JobReport.Speed speed = JobReport.Speed.of(paired(1, 0.5, true), paired(32, 0.8, false));

        assertThat(speed.slower()).isFalse();
        assertThat(speed.verdict()).isEqualTo("The compressed model is 2.00x faster at batch 1 and 1.25x faster at "
                + "batch 32 (median of 10 paired rounds at each batch size). The rounds disagree by more than 10 % at "
                + "batch 1, so that figure is uncertain.");
    }

    @Test
    void aFactorWithinOnePercentKeepsThreeDecimalsAndOneBatchSizeIsSaidOnce() {
        JobReport.Speed speed = JobReport.Speed.of(paired(1, 1.004, false), paired(1, 1.004, false));

        assertThat(speed.slower()).isTrue();
        assertThat(speed.verdict()).isEqualTo("The compressed model is 1.004x slower at batch 1 (median of 10 paired "
                + "rounds).");
    }
}
