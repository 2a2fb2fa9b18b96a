package io.caas.service.job;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;

/**
 * A job as stored. {@code summary} and {@code report} exist once it has succeeded.
 *
 * @param submittedBy the audit name of the API key that submitted it
 */
public record JobRecord(UUID id, UUID tenantId, UUID modelId, String method, Map<String, Object> parameters, UUID trainDatasetId,
                        UUID evalDatasetId, JobRequest.Budget budget, JobRequest.Target target, JobStatus status,
                        double progress, String message, String error, int attempts, String worker,
                        boolean cancelRequested, String idempotencyKey, String requestHash,
                        OffsetDateTime createdAt, OffsetDateTime startedAt, OffsetDateTime finishedAt,
                        OffsetDateTime heartbeatAt, String artifactKey, String artifactSha256, Long artifactBytes,
                        JobSummary summary, String reportJson, String submittedBy, JobRequest.Measure measure) {

    public JobRecord {
        measure = measure == null ? JobRequest.Measure.DEFAULT : measure;
    }

    /** A job as submitted: queued, nothing run, nothing recorded yet. */
    static JobRecord queued(UUID id, UUID tenantId, JobRequest request, Map<String, Object> parameters,
                            String idempotencyKey, String requestHash, OffsetDateTime createdAt, String submittedBy) {
        return new JobRecord(id, tenantId, request.modelId(), request.method(), parameters, request.trainDatasetId(),
                request.evalDatasetId(), request.budget(), request.target(), JobStatus.QUEUED, 0, null, null, 0, null,
                false, idempotencyKey, requestHash, createdAt, null, null, null, null, null, null, null, null,
                submittedBy, request.measure());
    }
}
