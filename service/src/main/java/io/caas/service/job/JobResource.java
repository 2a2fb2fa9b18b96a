package io.caas.service.job;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;

/**
 * A job as the API shows it.
 *
 * @param progress 0..1 while running, 1 once succeeded
 * @param message  what the job is doing now, or how it ended
 * @param error    why it failed
 * @param attempts how many times a worker took it (more than 1 after a worker was lost)
 * @param result      headline numbers once succeeded; the full report is at /v1/jobs/{id}/report
 * @param submittedBy the API key that submitted it (its name and id)
 * @param measure     the optional measurements it runs (interpreter latency: off unless asked for)
 */
public record JobResource(UUID id, UUID modelId, String method, Map<String, Object> parameters,
                          UUID trainDatasetId, UUID evalDatasetId, JobRequest.Budget budget, JobRequest.Target target,
                          JobStatus status, double progress, String message, String error, int attempts,
                          String worker, boolean cancelRequested, OffsetDateTime createdAt, OffsetDateTime startedAt,
                          OffsetDateTime finishedAt, JobSummary result, Artifact artifact,
                          String submittedBy, JobRequest.Measure measure) {

    public record Artifact(String href, long sizeBytes, String sha256) {
    }

    static JobResource of(JobRecord j) {
        JobRecord.Artifact stored = j.outcome().artifact();
        Artifact artifact = stored == null ? null
                : new Artifact("/v1/jobs/" + j.id() + "/artifact", stored.bytes(), stored.sha256());
        JobRecord.Submission asked = j.submission();
        JobRecord.Run run = j.run();
        return new JobResource(j.id(), asked.modelId(), asked.method(), asked.parameters(), asked.trainDatasetId(),
                asked.evalDatasetId(), asked.budget(), asked.target(), run.status(), run.progress(), run.message(),
                j.outcome().error(), run.attempts(), run.worker(), run.cancelRequested(), asked.createdAt(),
                run.startedAt(), j.outcome().finishedAt(), j.outcome().summary(), artifact, asked.submittedBy(),
                asked.measure());
    }
}
