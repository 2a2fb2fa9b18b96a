package io.caas.service.job;

import io.caas.service.storage.StoredObject;
import java.time.OffsetDateTime;

/**
 * The columns a status change writes besides the status, typed; null leaves a column as it is. Made by
 * {@link JobChange#update}; {@link JobRepository#transition} is the one place that knows the column names.
 */
record JobUpdate(String message, OffsetDateTime startedAt, OffsetDateTime heartbeatAt, Integer attempts,
                 String worker, Double progress, OffsetDateTime finishedAt, String error, StoredObject artifact,
                 String summaryJson, String reportJson) {

    static JobUpdate of(String message) {
        return new JobUpdate(message, null, null, null, null, null, null, null, null, null, null);
    }

    /** A worker's attempt begins: when the job first started, its heartbeat now, the attempt's number, the worker. */
    JobUpdate attempt(OffsetDateTime started, OffsetDateTime heartbeat, int attempt, String by) {
        return new JobUpdate(message, started, heartbeat, attempt, by, progress, finishedAt, error, artifact,
                summaryJson, reportJson);
    }

    JobUpdate progress(double fraction) {
        return new JobUpdate(message, startedAt, heartbeatAt, attempts, worker, fraction, finishedAt, error, artifact,
                summaryJson, reportJson);
    }

    JobUpdate finishedAt(OffsetDateTime at) {
        return new JobUpdate(message, startedAt, heartbeatAt, attempts, worker, progress, at, error, artifact,
                summaryJson, reportJson);
    }

    JobUpdate error(String reason) {
        return new JobUpdate(message, startedAt, heartbeatAt, attempts, worker, progress, finishedAt, reason, artifact,
                summaryJson, reportJson);
    }

    JobUpdate result(StoredObject stored, String summary, String report) {
        return new JobUpdate(message, startedAt, heartbeatAt, attempts, worker, progress, finishedAt, error, stored,
                summary, report);
    }
}
