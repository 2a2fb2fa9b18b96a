package io.caas.service.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import org.springframework.stereotype.Component;

/**
 * Job meters for Prometheus. Queue depth and running count are read from the database at scrape time, so every
 * node reports the cluster-wide figure (aggregate with max, not sum).
 */
@Component
public class JobMetrics {

    private final MeterRegistry registry;

    public JobMetrics(MeterRegistry registry, JobRepository jobs) {
        this.registry = registry;
        Gauge.builder("caas.jobs.queued", jobs, r -> r.countByStatus(JobStatus.QUEUED))
                .description("Jobs waiting for a worker (cluster-wide)").register(registry);
        Gauge.builder("caas.jobs.running", jobs, r -> r.countByStatus(JobStatus.RUNNING))
                .description("Jobs running on a worker (cluster-wide)").register(registry);
    }

    public void submitted(String method) {
        Counter.builder("caas.jobs.submitted").tag("method", method).description("Jobs accepted")
                .register(registry).increment();
    }

    void finished(String method, JobStatus outcome, Duration duration) {
        Counter.builder("caas.jobs.finished").tag("method", method).tag("status", outcome.wire())
                .description("Jobs that reached a final state").register(registry).increment();
        Timer.builder("caas.jobs.duration").tag("method", method).tag("status", outcome.wire())
                .description("Time from start (or submission, if never started) to the final state")
                .register(registry).record(duration);
    }

    public void compressed(String method, double compressionRatio, Double accuracyDelta) {
        DistributionSummary.builder("caas.jobs.compression.ratio").tag("method", method)
                .description("Parameters after / before").publishPercentileHistogram()
                .minimumExpectedValue(0.001).maximumExpectedValue(1.0)
                .register(registry).record(compressionRatio);
        if (accuracyDelta != null) {
            // in Prometheus caas_jobs_accuracy_delta_points: the unit is in the name
            DistributionSummary.builder("caas.jobs.accuracy.delta").baseUnit("points").tag("method", method)
                    .description("Top-1 accuracy after minus before, in points (percent)")
                    .register(registry).record(accuracyDelta * 100);
        }
    }
}
