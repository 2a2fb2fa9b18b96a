package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.config.Times;
import io.caas.service.support.H2ServiceTest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.jobrunr.scheduling.JobScheduler;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

class StaleJobReaperTest extends H2ServiceTest {

    @Autowired StaleJobReaper reaper;
    @Autowired JobRepository jobs;
    @Autowired JdbcClient jdbc;
    @Autowired JobScheduler scheduler;

    UUID runningJob(long heartbeatMinutesAgo, boolean cancelRequested) {
        UUID id = UUID.randomUUID();
        jobs.insert(JobRecord.queued(id, UUID.randomUUID(), new JobRequest(UUID.randomUUID(), "svd", Map.of(), null,
                null, null, null), Map.of(), null, null, Times.now(java.time.Clock.systemUTC()), "key:reaper-test"));
        jdbc.sql("update jobs set status = 'RUNNING', worker = 'gone/1', heartbeat_at = :hb, cancel_requested = :c where id = :id")
                .param("hb", Times.now(java.time.Clock.systemUTC()).minusMinutes(heartbeatMinutesAgo)).param("c", cancelRequested)
                .param("id", id).update();
        return id;
    }

    @Test
    void aRunningJobNobodyHoldsIsFailedWithTheReason() {
        UUID id = runningJob(30, false);
        assertThat(reaper.reapOlderThan(Times.now(java.time.Clock.systemUTC()).minusMinutes(5))).contains(id);
        JobRecord j = jobs.find(id).orElseThrow();
        assertThat(j.run().status()).isEqualTo(JobStatus.FAILED);
        assertThat(j.outcome().error()).contains("worker lost");
        assertThat(j.run().message()).contains("gone/1");
    }

    @Test
    void aCancelledJobWhoseWorkerDiedEndsCancelled() {
        UUID id = runningJob(30, true);
        reaper.reapOlderThan(Times.now(java.time.Clock.systemUTC()).minusMinutes(5));
        assertThat(jobs.find(id).orElseThrow().run().status()).isEqualTo(JobStatus.CANCELLED);
    }

    @Test
    void aJobWithARecentHeartbeatIsLeftRunning() {
        UUID id = runningJob(1, false);
        assertThat(reaper.reapOlderThan(Times.now(java.time.Clock.systemUTC()).minusMinutes(5))).doesNotContain(id);
        assertThat(jobs.find(id).orElseThrow().run().status()).isEqualTo(JobStatus.RUNNING);
    }

    @Test
    void aJobJobRunrWillRetryIsLeftForTheRetry() {
        UUID id = runningJob(30, false);
        scheduler.<CompressionJobRunner>schedule(id, Instant.now().plus(1, ChronoUnit.HOURS), r -> r.run(id));
        try {
            assertThat(reaper.reapOlderThan(Times.now(java.time.Clock.systemUTC()).minusMinutes(5))).doesNotContain(id);
            assertThat(jobs.find(id).orElseThrow().run().status()).isEqualTo(JobStatus.RUNNING);
        } finally {
            scheduler.delete(id);
        }
    }
}
