package io.caas.service.job;

import io.caas.service.web.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Follows a job's events as server-sent events until the job ends. Events are read from the database, not pushed
 * by the worker, so a stream works on an API node whatever worker runs the job; each stream polls every half
 * second, which the job_events index keeps cheap.
 */
@Component
class JobEventStream {

    private static final long POLL_MILLIS = 500;

    private final JobRepository jobs;
    private final JobEventRepository events;
    private final Json json;
    private final Duration maxDuration;
    private final AtomicInteger threads = new AtomicInteger();
    private final ExecutorService senders = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "job-events-" + threads.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    JobEventStream(JobRepository jobs, JobEventRepository events, Json json,
                   @Value("${caas.jobs.event-stream-max:1h}") Duration maxDuration) {
        this.jobs = jobs;
        this.events = events;
        this.json = json;
        this.maxDuration = maxDuration;
    }

    SseEmitter follow(UUID jobId, long afterId) {
        SseEmitter emitter = new SseEmitter(maxDuration.toMillis());
        senders.execute(() -> pump(jobId, afterId, emitter));
        return emitter;
    }

    private void pump(UUID jobId, long afterId, SseEmitter emitter) {
        long last = afterId;
        long deadline = System.nanoTime() + maxDuration.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                // Read the status before the events: events written before a final state are then all sent.
                boolean finished = jobs.find(jobId).map(j -> j.status().isTerminal()).orElse(true);
                List<JobEvent> batch = events.list(jobId, last, 1000);
                for (JobEvent e : batch) {
                    emitter.send(SseEmitter.event().id(Long.toString(e.id())).name(e.type())
                            .data(json.write(e), MediaType.APPLICATION_JSON));
                    last = e.id();
                }
                if (finished && batch.isEmpty()) {
                    emitter.complete();
                    return;
                }
                if (batch.isEmpty()) {
                    Thread.sleep(POLL_MILLIS);
                }
            }
            emitter.complete();
        } catch (IOException e) {
            // the client went away; nothing to tell it
            emitter.completeWithError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            emitter.complete();
        } catch (RuntimeException e) {
            emitter.completeWithError(e);
        }
    }
}
