package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TargetCheckTest {

    @Test
    void noTargetGivesNoVerdict() {
        assertThat(JobReport.TargetCheck.of(null, 0.5, -0.01, null)).isNull();
    }

    @Test
    void aCompressionRatioTargetIsMetAtOrBelowIt() {
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(null, 0.4), 0.4, null, null).met()).isTrue();
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(null, 0.4), 0.41, null, null).met()).isFalse();
    }

    @Test
    void anAccuracyDropTargetNeedsAMeasuredAccuracy() {
        JobReport.TargetCheck unmeasured = JobReport.TargetCheck.of(new JobRequest.Target(0.01, null), 0.3, null,
                null);
        assertThat(unmeasured.accuracyDropMet()).isNull();
        assertThat(unmeasured.met()).isNull();
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(0.01, null), 0.3, -0.005, null).met()).isTrue();
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(0.01, null), 0.3, -0.02, null).met()).isFalse();
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(0.01, null), 0.3, 0.03, null).met()).isTrue();
    }

    @Test
    void aSpeedupTargetIsCheckedAgainstThePairedMedianAtTheEvaluationBatch() {
        JobRequest.Target target = new JobRequest.Target(null, null, 2.0);
        // compressed / original time 0.4 at batch 32: 2.5x faster; batch 1 (1.1x slower) does not count
        JobReport.Speed speed = JobReport.Speed.of(paired(1, 1.1), paired(32, 0.4));
        JobReport.TargetCheck met = JobReport.TargetCheck.of(target, 0.3, null, speed);
        assertThat(met.speedupReached()).isCloseTo(2.5, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(met.speedupMet()).isTrue();
        assertThat(met.met()).isTrue();
        JobReport.TargetCheck missed = JobReport.TargetCheck.of(target, 0.3, null,
                JobReport.Speed.of(paired(1, 0.9), paired(32, 0.625)));
        assertThat(missed.speedupReached()).isCloseTo(1.6, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(missed.speedupMet()).isFalse();
        assertThat(missed.met()).isFalse();
        // without latency there is no verdict
        assertThat(JobReport.TargetCheck.of(target, 0.3, null, null).speedupMet()).isNull();
    }

    private static io.caas.engine.eval.PairedLatency paired(int batch, double ratio) {
        io.caas.engine.eval.LatencyStats stats = new io.caas.engine.eval.LatencyStats(batch, false, 10, 1, 1, 1);
        return new io.caas.engine.eval.PairedLatency(batch, stats, stats, 10, 3, ratio, ratio, ratio, false);
    }

    @Test
    void everyGivenPartMustHold() {
        JobReport.TargetCheck check = JobReport.TargetCheck.of(new JobRequest.Target(0.05, 0.4), 0.5, -0.01, null);
        assertThat(check.accuracyDropMet()).isTrue();
        assertThat(check.compressionRatioMet()).isFalse();
        assertThat(check.met()).isFalse();
    }
}
