package io.caas.service.job;

/** The ?status= filter, spelled as statuses are in responses (lowercase). */
enum JobStatusParam {
    queued(JobStatus.QUEUED), running(JobStatus.RUNNING), succeeded(JobStatus.SUCCEEDED), failed(JobStatus.FAILED),
    cancelled(JobStatus.CANCELLED);

    private final JobStatus status;

    JobStatusParam(JobStatus status) {
        this.status = status;
    }

    JobStatus status() {
        return status;
    }
}
