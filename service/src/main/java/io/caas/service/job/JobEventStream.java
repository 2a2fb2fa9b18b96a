package io.caas.service.job;

import io.caas.service.config.CaasProperties;
import io.caas.service.persistence.Json;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Follows a job's events as server-sent events until the job ends. Events are read from the database, not pushed
 * by the worker, so a stream works on an API node whatever worker runs the job; each stream is polled every half
 * second, which the job_events index keeps cheap.
 *
 * <p>The streams hold no thread: a small scheduler polls them all, each poll a short task, so a thousand streams
 * cost a thousand connections and no more threads than ten. A stream stops being polled as soon as it ends for
 * any reason: the job finished, its time ran out, or the client went away, which the container reports or a
 * failed write reveals (an idle stream gets a comment line every heartbeat for that). Streams are counted per API
 * key and on the node, and refused beyond either cap (429).
 */
@Component
class JobEventStream {

    private static final long POLL_MILLIS = 500;
    private static final int PAGE = 1000;

    private final JobRepository jobs;
    private final JobEventRepository events;
    private final Json json;
    private final Duration maxDuration;
    private final long heartbeatNanos;
    private final int perKey;
    private final int total;
    private final ScheduledThreadPoolExecutor poller;
    private final AtomicInteger active = new AtomicInteger();
    private final Map<UUID, Integer> byKey = new ConcurrentHashMap<>();

    JobEventStream(JobRepository jobs, JobEventRepository events, Json json, CaasProperties properties,
                   MeterRegistry registry) {
        Duration maxDuration = properties.jobs().eventStreamMax();
        Duration heartbeat = properties.jobs().eventStreamHeartbeat();
        int threads = properties.jobs().eventStreamThreads();
        this.jobs = jobs;
        this.events = events;
        this.json = json;
        this.maxDuration = maxDuration;
        this.heartbeatNanos = heartbeat.toNanos();
        this.perKey = properties.limits().maxEventStreamsPerKey();
        this.total = properties.limits().maxEventStreams();
        AtomicInteger n = new AtomicInteger();
        this.poller = new ScheduledThreadPoolExecutor(threads, r -> {
            Thread t = new Thread(r, "job-events-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        // A cancelled stream's task is dropped from the queue at once, not kept until its next turn.
        poller.setRemoveOnCancelPolicy(true);
        Gauge.builder("caas.jobs.event.streams", active, AtomicInteger::get)
                .description("Live job event streams on this node").register(registry);
    }

    /** Starts following; throws {@link TooManyStreamsException} when the key or the node is at its cap. */
    SseEmitter follow(UUID keyId, UUID jobId, long afterId) {
        reserve(keyId);
        SseEmitter emitter = new SseEmitter(maxDuration.toMillis());
        Stream stream = new Stream(keyId, jobId, afterId, emitter);
        emitter.onCompletion(stream::close);
        emitter.onError(e -> stream.close());
        emitter.onTimeout(() -> {
            stream.close();
            emitter.complete();
        });
        stream.start();
        return emitter;
    }

    /** Live streams on this node. */
    int active() {
        return active.get();
    }

    private void reserve(UUID keyId) {
        boolean[] taken = new boolean[1];
        byKey.compute(keyId, (k, n) -> {
            int now = n == null ? 0 : n;
            taken[0] = now < perKey;
            return taken[0] ? now + 1 : n;
        });
        if (!taken[0]) {
            throw new TooManyStreamsException("this API key already has " + perKey + " event streams open; close one "
                    + "or poll GET /v1/jobs/{id}/events instead", perKey);
        }
        if (active.incrementAndGet() > total) {
            release(keyId);
            throw new TooManyStreamsException("the service has " + total + " event streams open; retry shortly or "
                    + "poll GET /v1/jobs/{id}/events instead", total);
        }
    }

    private void release(UUID keyId) {
        active.decrementAndGet();
        byKey.computeIfPresent(keyId, (k, n) -> n == 1 ? null : n - 1);
    }

    @PreDestroy
    void stop() {
        poller.shutdownNow();
    }

    /** One client's stream: its position in the job's log, and the task that polls it. */
    private final class Stream {

        private final UUID keyId;
        private final UUID jobId;
        private final SseEmitter emitter;
        private final long deadline;
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile ScheduledFuture<?> task;
        private long last;
        private long lastWrite;

        Stream(UUID keyId, UUID jobId, long afterId, SseEmitter emitter) {
            this.keyId = keyId;
            this.jobId = jobId;
            this.emitter = emitter;
            this.last = afterId;
            this.lastWrite = System.nanoTime();
            this.deadline = lastWrite + maxDuration.toNanos();
        }

        void start() {
            task = poller.scheduleWithFixedDelay(this::poll, 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
            if (closed.get()) {
                task.cancel(false); // closed before the task existed to be cancelled
            }
        }

        /** Stops polling and gives the slot back; once, whoever calls it first. */
        void close() {
            if (closed.compareAndSet(false, true)) {
                ScheduledFuture<?> t = task;
                if (t != null) {
                    t.cancel(false);
                }
                release(keyId);
            }
        }

        /** Runs on the scheduler; the tasks of one stream never overlap (fixed delay). */
        private void poll() {
            if (closed.get()) {
                return;
            }
            try {
                // Read the status before the events: events written before a final state are then all sent.
                boolean finished = jobs.find(jobId).map(j -> j.run().status().isTerminal()).orElse(true);
                List<JobEvent> batch;
                boolean sent = false;
                do {
                    batch = events.list(jobId, last, PAGE);
                    for (JobEvent e : batch) {
                        emitter.send(SseEmitter.event().id(Long.toString(e.id())).name(e.type())
                                .data(json.write(e), MediaType.APPLICATION_JSON));
                        last = e.id();
                        sent = true;
                    }
                } while (batch.size() == PAGE);
                long now = System.nanoTime();
                if (finished && !sent || now - deadline > 0) {
                    close();
                    emitter.complete();
                    return;
                }
                if (sent) {
                    lastWrite = now;
                } else if (now - lastWrite >= heartbeatNanos) {
                    // Also how a client that went away without a word is found out: this write fails.
                    emitter.send(SseEmitter.event().comment("keep-alive"));
                    lastWrite = now;
                }
            } catch (IOException e) {
                close(); // the client went away; nothing to tell it
                emitter.completeWithError(e);
            } catch (RuntimeException e) {
                close();
                emitter.completeWithError(e);
            }
        }
    }
}
