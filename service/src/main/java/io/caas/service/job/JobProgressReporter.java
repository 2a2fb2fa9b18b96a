package io.caas.service.job;

import io.caas.engine.compress.ProgressListener;
import io.caas.service.config.Times;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;

/**
 * Turns a method's progress into job updates and events. Progress writes are throttled (a training loop reports
 * far more often than anyone polls) and progress events thinned ({@link ProgressThinning}); metrics are all kept,
 * they make the loss curve. Each throttled write also checks whether the user asked to cancel, and if so interrupts
 * the worker thread, which the method notices.
 */
class JobProgressReporter implements ProgressListener {

    private static final long MIN_INTERVAL_NANOS = 500_000_000L;

    private final UUID jobId;
    private final JobRepository jobs;
    private final JobEventRepository events;
    private final ProgressThinning thinning = new ProgressThinning();
    private final Clock clock;
    private long lastWrite = System.nanoTime() - MIN_INTERVAL_NANOS;
    private String lastMessage;

    JobProgressReporter(UUID jobId, JobRepository jobs, JobEventRepository events, Clock clock) {
        this.clock = clock;
        this.jobId = jobId;
        this.jobs = jobs;
        this.events = events;
    }

    @Override
    public void progress(double fraction, String message) {
        long now = System.nanoTime();
        boolean newPhase = message != null && !message.equals(lastMessage);
        if (!newPhase && now - lastWrite < MIN_INTERVAL_NANOS && fraction < 1.0) {
            return;
        }
        lastWrite = now;
        double clamped = Math.max(0, Math.min(1, fraction));
        jobs.progress(jobId, clamped, message, Times.now(clock));
        if (newPhase) {
            lastMessage = message;
            if (thinning.record(clamped, message, now)) {
                events.append(jobId, Times.now(clock), "progress", message, Map.of("progress", clamped), null);
            }
        }
        if (jobs.isCancelRequested(jobId)) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void metric(String name, long step, double value) {
        events.append(jobId, Times.now(clock), "metric", null, Map.of("name", name, "step", step, "value", value), null);
    }
}
