package io.caas.service.job;

import io.caas.service.storage.StoredObject;
import java.time.OffsetDateTime;

/**
 * A change of a job's status with what it records besides, typed per transition: the compiler holds each
 * transition to its own facts (a start names its worker, a success its artifact and report, a failure its reason),
 * where a map of column names held none.
 */
public sealed interface JobChange {

    /** The conditional status change this is. */
    JobTransition transition();

    /**
     * What the job's row takes, given the row before and the time of the change.
     *
     * @param message the job's message, already cut to what the column holds
     */
    JobUpdate update(JobRecord before, OffsetDateTime now, String message);

    /** The worker to name on the change's event, where it names one. */
    default String worker() {
        return null;
    }

    /** A worker takes a queued job. */
    record Start(String worker) implements JobChange {
        @Override
        public JobTransition transition() {
            return JobTransition.START;
        }

        @Override
        public JobUpdate update(JobRecord before, OffsetDateTime now, String message) {
            return JobUpdate.of(message).attempt(before.run().startedAt() != null ? before.run().startedAt() : now, now,
                    before.run().attempts() + 1, worker);
        }
    }

    /** A worker takes over a running job whose worker was lost; it starts over, from progress 0. */
    record Resume(String worker) implements JobChange {
        @Override
        public JobTransition transition() {
            return JobTransition.RESUME_AFTER_WORKER_LOSS;
        }

        @Override
        public JobUpdate update(JobRecord before, OffsetDateTime now, String message) {
            return new Start(worker).update(before, now, message).progress(0.0);
        }
    }

    /** The run's result is stored: the artifact, the headline numbers and the report, with the final state. */
    record Succeed(StoredObject artifact, String summaryJson, String reportJson) implements JobChange {
        @Override
        public JobTransition transition() {
            return JobTransition.SUCCEED;
        }

        @Override
        public JobUpdate update(JobRecord before, OffsetDateTime now, String message) {
            return JobUpdate.of(message).progress(1.0).finishedAt(now).result(artifact, summaryJson, reportJson);
        }
    }

    /** @param error the reason the user reads on the job, cut to what the column holds */
    record Fail(String error) implements JobChange {

        /** What the error column holds. */
        static final int MAX_ERROR = 8000;

        public Fail {
            error = JobRepository.truncate(error, MAX_ERROR);
        }

        @Override
        public JobTransition transition() {
            return JobTransition.FAIL;
        }

        @Override
        public JobUpdate update(JobRecord before, OffsetDateTime now, String message) {
            return JobUpdate.of(message).finishedAt(now).error(error);
        }
    }

    record Cancel() implements JobChange {
        @Override
        public JobTransition transition() {
            return JobTransition.CANCEL;
        }

        @Override
        public JobUpdate update(JobRecord before, OffsetDateTime now, String message) {
            return JobUpdate.of(message).finishedAt(now);
        }
    }
}
