package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.config.Times;
import io.caas.service.paging.Cursor;
import io.caas.service.storage.StoredObject;
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
        jobs().insert(JobRecord.queued(id, TENANT, new JobRequest(UUID.randomUUID(), "svd", Map.of("energy", 0.9),
                null, null, null, null), Map.of("energy", 0.9), null, null, Times.now(java.time.Clock.systemUTC()), "key:contract-test"));
        jdbc().sql("update jobs set status = :s where id = :id").param("s", status.name()).param("id", id).update();
        return id;
    }

    @ParameterizedTest(name = "{0} from every state")
    @EnumSource(JobTransition.class)
    default void eachTransitionAppliesExactlyFromItsSourceStates(JobTransition transition) {
        for (JobStatus from : JobStatus.values()) {
            UUID id = jobIn(from);
            boolean applied = machine().apply(id, change(transition), "worker:test/1", "test " + transition);
            JobRecord after = jobs().find(id).orElseThrow();
            List<JobEvent> log = events().list(id, 0, 100);
            if (transition.allowedFrom(from)) {
                assertThat(applied).as("%s from %s", transition, from).isTrue();
                assertThat(after.run().status()).isEqualTo(transition.to());
                assertThat(log).hasSize(1);
                assertThat(log.get(0).type()).isEqualTo("state");
                assertThat(log.get(0).actor()).as("who changed the state").isEqualTo("worker:test/1");
                assertThat(log.get(0).data()).containsEntry("from", from.wire())
                        .containsEntry("to", transition.to().wire()).containsEntry("transition", transition.name());
                assertThat(after.outcome().finishedAt() != null).isEqualTo(transition.to().isTerminal());
            } else {
                assertThat(applied).as("%s from %s", transition, from).isFalse();
                assertThat(after.run().status()).isEqualTo(from);
                assertThat(log).isEmpty();
            }
        }
    }

    /** A change of each kind, with what it records. */
    private static JobChange change(JobTransition transition) {
        return switch (transition) {
            case START -> new JobChange.Start("node-a/1");
            case RESUME_AFTER_WORKER_LOSS -> new JobChange.Resume("node-b/2");
            case SUCCEED -> new JobChange.Succeed(new StoredObject("artifacts/x.onnx", 123, "ab"), null, null);
            case FAIL -> new JobChange.Fail("the test's reason");
            case CANCEL -> new JobChange.Cancel();
        };
    }

    @Test
    default void eachChangeIsTheTransitionItNames() {
        for (JobTransition transition : JobTransition.values()) {
            assertThat(change(transition).transition()).isEqualTo(transition);
        }
    }

    @Test
    default void startAndResumeCountAttemptsAndNameTheWorker() {
        UUID id = jobIn(JobStatus.QUEUED);
        machine().apply(id, new JobChange.Start("node-a/1"), "worker:node-a/1", "started");
        JobRecord started = jobs().find(id).orElseThrow();
        assertThat(started.run().attempts()).isEqualTo(1);
        assertThat(started.run().worker()).isEqualTo("node-a/1");
        assertThat(started.run().startedAt()).isNotNull();

        jobs().progress(id, 0.4, "part of the way", Times.now(java.time.Clock.systemUTC()));
        machine().apply(id, new JobChange.Resume("node-b/2"), "worker:node-b/2", "resumed");
        JobRecord resumed = jobs().find(id).orElseThrow();
        assertThat(resumed.run().attempts()).isEqualTo(2);
        assertThat(resumed.run().worker()).isEqualTo("node-b/2");
        assertThat(resumed.run().startedAt()).isEqualTo(started.run().startedAt());
        assertThat(resumed.run().progress()).as("a resumed job starts over").isZero();
        assertThat(events().list(id, 0, 10)).extracting(e -> e.data().get("worker"))
                .containsExactly("node-a/1", "node-b/2");
    }

    @Test
    default void succeedingSetsProgressToOneAndKeepsTheColumnsGiven() {
        UUID id = jobIn(JobStatus.RUNNING);
        machine().apply(id, new JobChange.Succeed(new StoredObject("artifacts/x.onnx", 123, "ab"), null,
                "{\"layers\":[]}"), "worker:node-a/1", "succeeded");
        JobRecord done = jobs().find(id).orElseThrow();
        assertThat(done.run().progress()).isEqualTo(1.0);
        assertThat(done.outcome().artifact()).isEqualTo(new JobRecord.Artifact("artifacts/x.onnx", "ab", 123L));
        assertThat(done.outcome().reportJson()).isEqualTo("{\"layers\":[]}");

        // a job without an artifact reads as none, not as one of 0 bytes
        UUID failed = jobIn(JobStatus.RUNNING);
        machine().apply(failed, new JobChange.Fail("the test's reason"), "worker:node-a/1", "failed");
        JobRecord noArtifact = jobs().find(failed).orElseThrow();
        assertThat(noArtifact.outcome().artifact()).isNull();
        assertThat(noArtifact.outcome().error()).isEqualTo("the test's reason");
    }

    @Test
    default void progressIsIgnoredOnceAJobHasLeftRunning() {
        UUID id = jobIn(JobStatus.RUNNING);
        jobs().progress(id, 0.5, "half", Times.now(java.time.Clock.systemUTC()));
        machine().apply(id, new JobChange.Cancel(), "key:owner (1)", "cancelled");
        jobs().progress(id, 0.7, "late report", Times.now(java.time.Clock.systemUTC()));
        JobRecord j = jobs().find(id).orElseThrow();
        assertThat(j.run().progress()).isEqualTo(0.5);
        assertThat(j.run().status()).isEqualTo(JobStatus.CANCELLED);
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
            cursor = new Cursor(last.submission().createdAt(), last.id());
        }
        assertThat(seen).doesNotHaveDuplicates().containsAll(made);
    }
}
