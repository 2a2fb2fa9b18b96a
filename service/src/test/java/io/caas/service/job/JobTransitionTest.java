package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** The transition table itself: which states each transition leaves from, and where it goes. */
class JobTransitionTest {

    @Test
    void startTakesOnlyQueuedJobsToRunning() {
        assertThat(JobTransition.START.from()).containsExactly(JobStatus.QUEUED);
        assertThat(JobTransition.START.to()).isEqualTo(JobStatus.RUNNING);
    }

    @Test
    void resumeAfterWorkerLossKeepsARunningJobRunning() {
        assertThat(JobTransition.RESUME_AFTER_WORKER_LOSS.from()).containsExactly(JobStatus.RUNNING);
        assertThat(JobTransition.RESUME_AFTER_WORKER_LOSS.to()).isEqualTo(JobStatus.RUNNING);
    }

    @Test
    void succeedOnlyFromRunning() {
        assertThat(JobTransition.SUCCEED.from()).containsExactly(JobStatus.RUNNING);
        assertThat(JobTransition.SUCCEED.to()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void failFromQueuedOrRunning() {
        assertThat(JobTransition.FAIL.from()).containsExactlyInAnyOrder(JobStatus.QUEUED, JobStatus.RUNNING);
        assertThat(JobTransition.FAIL.to()).isEqualTo(JobStatus.FAILED);
    }

    @Test
    void cancelFromQueuedOrRunning() {
        assertThat(JobTransition.CANCEL.from()).containsExactlyInAnyOrder(JobStatus.QUEUED, JobStatus.RUNNING);
        assertThat(JobTransition.CANCEL.to()).isEqualTo(JobStatus.CANCELLED);
    }

    @Test
    void noTransitionLeavesAFinalState() {
        for (JobTransition t : JobTransition.values()) {
            for (JobStatus s : EnumSet.of(JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)) {
                assertThat(t.allowedFrom(s)).as("%s from %s", t, s).isFalse();
            }
        }
    }
}
