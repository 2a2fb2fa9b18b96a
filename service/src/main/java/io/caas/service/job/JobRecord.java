package io.caas.service.job;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;

/**
 * A job as stored, in three parts that change at different times: what was asked (fixed at submission), where the
 * run stands (each transition and heartbeat), and how it ended.
 */
public record JobRecord(UUID id, UUID tenantId, Submission submission, Run run, Outcome outcome) {

    /**
     * What the client asked for, as submitted; never changes.
     *
     * @param requestHash the hash of the request an idempotency key was first used with
     * @param submittedBy the audit name of the API key that submitted it
     */
    public record Submission(UUID modelId, String method, Map<String, Object> parameters, UUID trainDatasetId,
                             UUID evalDatasetId, JobRequest.Budget budget, JobRequest.Target target,
                             JobRequest.Measure measure, String idempotencyKey, String requestHash,
                             OffsetDateTime createdAt, String submittedBy) {

        public Submission {
            measure = measure == null ? JobRequest.Measure.DEFAULT : measure;
        }
    }

    /**
     * Where the run stands.
     *
     * @param attempts how many times a worker took it (more than 1 after a worker was lost)
     * @param worker   the worker that holds it, or last held it
     */
    public record Run(JobStatus status, double progress, String message, int attempts, String worker,
                      boolean cancelRequested, OffsetDateTime startedAt, OffsetDateTime heartbeatAt) {

        static final Run QUEUED = new Run(JobStatus.QUEUED, 0, null, 0, null, false, null, null);
    }

    /**
     * How it ended: the finish time and, by status, the reason it failed or what it made.
     *
     * @param artifact the compressed model, once succeeded
     * @param summary  the headline numbers, once succeeded
     */
    public record Outcome(OffsetDateTime finishedAt, String error, Artifact artifact, JobSummary summary,
                          String reportJson) {

        static final Outcome NONE = new Outcome(null, null, null, null, null);
    }

    /** The stored compressed model. */
    public record Artifact(String key, String sha256, long bytes) {
    }

    /** A job as submitted: queued, nothing run, nothing recorded yet. */
    static JobRecord queued(UUID id, UUID tenantId, JobRequest request, Map<String, Object> parameters,
                            String idempotencyKey, String requestHash, OffsetDateTime createdAt, String submittedBy) {
        return new JobRecord(id, tenantId, new Submission(request.modelId(), request.method(), parameters,
                request.trainDatasetId(), request.evalDatasetId(), request.budget(), request.target(),
                request.measure(), idempotencyKey, requestHash, createdAt, submittedBy), Run.QUEUED, Outcome.NONE);
    }

}
