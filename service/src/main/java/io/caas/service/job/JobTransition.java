package io.caas.service.job;

import java.util.EnumSet;
import java.util.Set;

/**
 * Every allowed change of a job's status, in one place. The repository applies a transition as one conditional
 * UPDATE ("... where status in from"), so two nodes racing on the same job cannot both win.
 */
public enum JobTransition {
    /** A worker takes a queued job. */
    START(EnumSet.of(JobStatus.QUEUED), JobStatus.RUNNING),
    /** A worker takes over a running job whose previous worker died (JobRunr's orphan detection hands it back). */
    RESUME_AFTER_WORKER_LOSS(EnumSet.of(JobStatus.RUNNING), JobStatus.RUNNING),
    SUCCEED(EnumSet.of(JobStatus.RUNNING), JobStatus.SUCCEEDED),
    /** Queued jobs fail too: the queue may refuse them, or their model may vanish before a worker starts. */
    FAIL(EnumSet.of(JobStatus.QUEUED, JobStatus.RUNNING), JobStatus.FAILED),
    CANCEL(EnumSet.of(JobStatus.QUEUED, JobStatus.RUNNING), JobStatus.CANCELLED);

    private final Set<JobStatus> from;
    private final JobStatus to;

    JobTransition(Set<JobStatus> from, JobStatus to) {
        this.from = from;
        this.to = to;
    }

    public Set<JobStatus> from() {
        return from;
    }

    public JobStatus to() {
        return to;
    }

    public boolean allowedFrom(JobStatus status) {
        return from.contains(status);
    }
}
