package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.web.Cursor;
import io.caas.service.web.Times;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The job state machine and the job tables, run against each supported database: every transition from every
 * state, with the event it must leave, and the queries the API's lists rely on.
 */
interface JobStateMachineContract {

    JobStateMachine machine();

    JobRepository jobs();

    JobEventRepository events();

    JdbcClient jdbc();

    /** The tenant every job of these tests belongs to, so that pages list only this run's jobs. */
    UUID TENANT = UUID.randomUUID();

    default UUID jobIn(JobStatus status) {
        UUID id = UUID.randomUUID();
        jobs().insert(new JobRecord(id, TENANT, UUID.randomUUID(), "svd", Map.of("energy", 0.9), null, null, null,
                null, JobStatus.QUEUED, 0, null, null, 0, null, false, null, null, Times.now(), null, null, null, null,
                null, null, null, null, "key:contract-test"));
        jdbc().sql("update jobs set status = :s where id = :id").param("s", status.name()).param("id", id).update();
        return id;
    }

    @ParameterizedTest(name = "{0} from every state")
    @EnumSource(JobTransition.class)
    default void eachTransitionAppliesExactlyFromItsSourceStates(JobTransition transition) {
        for (JobStatus from : JobStatus.values()) {
            UUID id = jobIn(from);
            boolean applied = machine().apply(id, transition, "worker:test/1", "test " + transition, Map.of());
            JobRecord after = jobs().find(id).orElseThrow();
            List<JobEvent> log = events().list(id, 0, 100);
            if (transition.allowedFrom(from)) {
                assertThat(applied).as("%s from %s", transition, from).isTrue();
                assertThat(after.status()).isEqualTo(transition.to());
                assertThat(log).hasSize(1);
                assertThat(log.get(0).type()).isEqualTo("state");
                assertThat(log.get(0).actor()).as("who changed the state").isEqualTo("worker:test/1");
                assertThat(log.get(0).data()).containsEntry("from", from.wire())
                        .containsEntry("to", transition.to().wire()).containsEntry("transition", transition.name());
                assertThat(after.finishedAt() != null).isEqualTo(transition.to().isTerminal());
            } else {
                assertThat(applied).as("%s from %s", transition, from).isFalse();
                assertThat(after.status()).isEqualTo(from);
                assertThat(log).isEmpty();
            }
        }
    }

    @Test
    default void startAndResumeCountAttemptsAndNameTheWorker() {
        UUID id = jobIn(JobStatus.QUEUED);
        machine().apply(id, JobTransition.START, "worker:node-a/1", "started", Map.of("worker", "node-a/1"));
        JobRecord started = jobs().find(id).orElseThrow();
        assertThat(started.attempts()).isEqualTo(1);
        assertThat(started.worker()).isEqualTo("node-a/1");
        assertThat(started.startedAt()).isNotNull();

        machine().apply(id, JobTransition.RESUME_AFTER_WORKER_LOSS, "worker:node-b/2", "resumed", Map.of("worker", "node-b/2"));
        JobRecord resumed = jobs().find(id).orElseThrow();
        assertThat(resumed.attempts()).isEqualTo(2);
        assertThat(resumed.worker()).isEqualTo("node-b/2");
        assertThat(resumed.startedAt()).isEqualTo(started.startedAt());
        assertThat(events().list(id, 0, 10)).extracting(e -> e.data().get("worker"))
                .containsExactly("node-a/1", "node-b/2");
    }

    @Test
    default void succeedingSetsProgressToOneAndKeepsTheColumnsGiven() {
        UUID id = jobIn(JobStatus.RUNNING);
        machine().apply(id, JobTransition.SUCCEED, "worker:node-a/1", "succeeded",
                Map.of("artifact_key", "artifacts/x.onnx", "artifact_bytes", 123L, "artifact_sha256", "ab"));
        JobRecord done = jobs().find(id).orElseThrow();
        assertThat(done.progress()).isEqualTo(1.0);
        assertThat(done.artifactKey()).isEqualTo("artifacts/x.onnx");
        assertThat(done.artifactBytes()).isEqualTo(123L);
    }

    @Test
    default void progressIsIgnoredOnceAJobHasLeftRunning() {
        UUID id = jobIn(JobStatus.RUNNING);
        jobs().progress(id, 0.5, "half", Times.now());
        machine().apply(id, JobTransition.CANCEL, "key:owner (1)", "cancelled", Map.of());
        jobs().progress(id, 0.7, "late report", Times.now());
        JobRecord j = jobs().find(id).orElseThrow();
        assertThat(j.progress()).isEqualTo(0.5);
        assertThat(j.status()).isEqualTo(JobStatus.CANCELLED);
    }

    @Test
    default void keysetPagesNeitherRepeatNorSkipRows() {
        List<UUID> made = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            made.add(jobIn(JobStatus.FAILED));
        }
        List<UUID> seen = new ArrayList<>();
        Cursor cursor = null;
        while (true) {
            List<JobRecord> page = jobs().list(TENANT, JobStatus.FAILED, cursor, 3);
            page.forEach(j -> seen.add(j.id()));
            if (page.size() < 3) {
                break;
            }
            JobRecord last = page.get(page.size() - 1);
            cursor = new Cursor(last.createdAt(), last.id());
        }
        assertThat(seen).doesNotHaveDuplicates().containsAll(made);
    }
}
