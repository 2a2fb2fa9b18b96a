package io.caas.service.job;

import io.caas.service.config.CaasProperties;
import io.caas.service.config.Times;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.storage.JobNotFoundException;
import org.jobrunr.storage.StorageProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The last guard against a job stuck in "running": its worker stopped sending heartbeats and JobRunr will not
 * hand it out again (its retries are used up, or it was deleted by a cancel while the worker was dead). Such a job
 * is ended, cancelled if the user asked, failed otherwise. A job JobRunr still holds (queued for a retry, or
 * processing) is left alone: recovery is under way.
 */
@Component
public class StaleJobReaper {

    private static final Logger log = LoggerFactory.getLogger(StaleJobReaper.class);
    private static final Set<StateName> STILL_HANDLED = EnumSet.of(StateName.AWAITING, StateName.SCHEDULED,
            StateName.ENQUEUED, StateName.PROCESSING);

    private final JdbcClient jdbc;
    private final JobRepository jobs;
    private final JobStateMachine stateMachine;
    private final StorageProvider jobRunrStorage;
    private final Duration staleAfter;
    private final Clock clock;

    public StaleJobReaper(JdbcClient jdbc, JobRepository jobs, JobStateMachine stateMachine,
                          StorageProvider jobRunrStorage, CaasProperties properties, Clock clock) {
        this.clock = clock;
        this.jdbc = jdbc;
        this.jobs = jobs;
        this.stateMachine = stateMachine;
        this.jobRunrStorage = jobRunrStorage;
        this.staleAfter = properties.jobs().staleAfter();
    }

    @Scheduled(fixedDelayString = "${caas.jobs.reaper-interval:60s}", initialDelayString = "${caas.jobs.reaper-interval:60s}")
    public void reap() {
        reapOlderThan(Times.now(clock).minus(staleAfter));
    }

    /** @return the jobs it ended */
    public List<UUID> reapOlderThan(OffsetDateTime cutoff) {
        List<UUID> stale = jdbc.sql("""
                select id from jobs where status = 'RUNNING' and (heartbeat_at is null or heartbeat_at < :cutoff)""")
                .param("cutoff", cutoff).query(UUID.class).list();
        return stale.stream().filter(this::abandoned).filter(this::end).toList();
    }

    private boolean abandoned(UUID id) {
        try {
            return !STILL_HANDLED.contains(jobRunrStorage.getJobById(id).getState());
        } catch (JobNotFoundException e) {
            return true;
        }
    }

    private boolean end(UUID id) {
        JobRecord job = jobs.find(id).orElse(null);
        if (job == null) {
            return false;
        }
        boolean ended = job.run().cancelRequested()
                ? stateMachine.apply(id, new JobChange.Cancel(), Actors.REAPER, "cancelled; its worker " + job.run().worker()
                        + " had stopped")
                : stateMachine.apply(id, new JobChange.Fail("worker lost: no heartbeat since " + job.run().heartbeatAt()),
                        Actors.REAPER, "worker " + job.run().worker() + " was lost and the job could not be resumed");
        if (ended) {
            log.warn("job {} had no live worker since {}; ended", id, job.run().heartbeatAt());
        }
        return ended;
    }
}
