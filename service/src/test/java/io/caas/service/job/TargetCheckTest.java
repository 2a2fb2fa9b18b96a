package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TargetCheckTest {

    @Test
    void noTargetGivesNoVerdict() {
        assertThat(JobReport.TargetCheck.of(null, 0.5, -0.01)).isNull();
    }

    @Test
    void aCompressionRatioTargetIsMetAtOrBelowIt() {
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(null, 0.4), 0.4, null).met()).isTrue();
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(null, 0.4), 0.41, null).met()).isFalse();
    }

    @Test
    void anAccuracyDropTargetNeedsAMeasuredAccuracy() {
        JobReport.TargetCheck unmeasured = JobReport.TargetCheck.of(new JobRequest.Target(0.01, null), 0.3, null);
        assertThat(unmeasured.accuracyDropMet()).isNull();
        assertThat(unmeasured.met()).isNull();
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(0.01, null), 0.3, -0.005).met()).isTrue();
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(0.01, null), 0.3, -0.02).met()).isFalse();
        assertThat(JobReport.TargetCheck.of(new JobRequest.Target(0.01, null), 0.3, 0.03).met()).isTrue();
    }

    @Test
    void everyGivenPartMustHold() {
        JobReport.TargetCheck check = JobReport.TargetCheck.of(new JobRequest.Target(0.05, 0.4), 0.5, -0.01);
        assertThat(check.accuracyDropMet()).isTrue();
        assertThat(check.compressionRatioMet()).isFalse();
        assertThat(check.met()).isFalse();
    }
}
