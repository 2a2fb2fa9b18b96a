package io.caas.service.job;

import io.caas.service.config.Times;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import io.caas.service.config.CaasProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Runs one job on this worker, from taking it to its final state. Every way out of {@link #execute} leaves the job
 * in a final state, except a shutdown interrupt: then the job stays running and JobRunr hands it to another worker,
 * which resumes it (a new attempt, recorded as such).
 */
@Component
public class JobExecution {

    private static final Logger log = LoggerFactory.getLogger(JobExecution.class);

    private final JobRepository jobs;
    private final JobEventRepository events;
    private final JobStateMachine stateMachine;
    private final CompressionPipeline pipeline;
    private final JobMetrics metrics;
    private final Duration pauseAfterStart;
    private final Duration timeout;
    private final Clock clock;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "job-heartbeat");
        t.setDaemon(true);
        return t;
    });

    public JobExecution(JobRepository jobs, JobEventRepository events, JobStateMachine stateMachine,
                        CompressionPipeline pipeline, JobMetrics metrics, CaasProperties properties, Clock clock) {
        this.clock = clock;
        this.timeout = properties.limits().jobTimeout();
        this.jobs = jobs;
        this.events = events;
        this.stateMachine = stateMachine;
        this.pipeline = pipeline;
        this.metrics = metrics;
        this.pauseAfterStart = properties.jobs().faultInjection().pauseAfterStart();
    }

    public void execute(UUID jobId) throws InterruptedException {
        JobRecord job = jobs.find(jobId).orElse(null);
        if (job == null || job.run().status().isTerminal()) {
            log.info("job {} needs no run ({})", jobId, job == null ? "unknown" : job.run().status().wire());
            return;
        }
        if (job.run().cancelRequested()) {
            stateMachine.apply(jobId, new JobChange.Cancel(), Actors.worker(), "cancelled before it started");
            return;
        }
        if (!take(job)) {
            return;
        }
        ScheduledFuture<?> heartbeat = heartbeats.scheduleAtFixedRate(
                () -> jobs.heartbeat(jobId, Times.now(clock)), 10, 10, TimeUnit.SECONDS);
        Thread worker = Thread.currentThread();
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> deadline = heartbeats.schedule(() -> {
            timedOut.set(true);
            worker.interrupt();
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            if (!pauseAfterStart.isZero()) {
                Thread.sleep(pauseAfterStart.toMillis());
            }
            JobOutcome outcome = pipeline.run(jobs.find(jobId).orElseThrow(),
                    new JobProgressReporter(jobId, jobs, events, clock));
            if (stateMachine.apply(jobId, new JobChange.Succeed(outcome.artifact(), outcome.summaryJson(),
                    outcome.reportJson()), Actors.worker(), "succeeded")) {
                metrics.compressed(job.submission().method(), outcome.summary().compressionRatio(),
                        outcome.summary().accuracyDelta());
            }
        } catch (InterruptedException e) {
            if (timedOut.get()) {
                fail(jobId, "stopped: exceeded the time limit of " + timeout, "ran longer than caas.limits.job-timeout ("
                        + timeout + ")");
                return;
            }
            if (jobs.isCancelRequested(jobId)) {
                stateMachine.apply(jobId, new JobChange.Cancel(), Actors.worker(), "cancelled while running");
                return;
            }
            log.warn("job {} interrupted by shutdown; it stays running for another worker to resume", jobId);
            throw e;
        } catch (RuntimeException | Error e) {
            Optional<JobFailure> readable = JobFailure.readable(e);
            if (readable.isPresent()) {
                // a reason the user reads on the job; for the operator one WARN line, no stack trace
                log.warn("job {} failed: {}", jobId, readable.get().getMessage());
                fail(jobId, readable.get().getMessage(), readable.get().getMessage());
            } else {
                log.error("job {} failed unexpectedly", jobId, e);
                fail(jobId, "failed: internal error", e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        } finally {
            deadline.cancel(false);
            heartbeat.cancel(false);
            // A deadline that fired after the work ended must not leak its interrupt into JobRunr's next job.
            if (timedOut.get()) {
                Thread.interrupted();
            }
        }
    }

    private boolean take(JobRecord job) {
        String worker = WorkerIdentity.name();
        if (job.run().status() == JobStatus.QUEUED) {
            return stateMachine.apply(job.id(), new JobChange.Start(worker), Actors.worker(), "started on " + worker);
        }
        return stateMachine.apply(job.id(), new JobChange.Resume(worker), Actors.worker(),
                "resumed on " + worker + " after worker " + job.run().worker() + " was lost");
    }

    private void fail(UUID jobId, String message, String error) {
        stateMachine.apply(jobId, new JobChange.Fail(error), Actors.worker(), message);
    }
}
