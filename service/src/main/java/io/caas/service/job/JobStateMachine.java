package io.caas.service.job;

import io.caas.service.config.Times;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The only way a job's status changes: the conditional update and its "state" event commit together, and
 * finished jobs are counted once, by the node whose update won.
 */
@Component
public class JobStateMachine {

    private static final Logger log = LoggerFactory.getLogger(JobStateMachine.class);

    private final JobRepository jobs;
    private final JobEventRepository events;
    private final JobMetrics metrics;
    private final Clock clock;

    public JobStateMachine(JobRepository jobs, JobEventRepository events, JobMetrics metrics, Clock clock) {
        this.clock = clock;
        this.jobs = jobs;
        this.events = events;
        this.metrics = metrics;
    }

    /**
     * @param actor  who causes the change, for the audit trail (see {@link JobEvent#actor()})
     * @param change the transition and what it records besides
     * @return whether the transition happened; false if the job was not in a state it starts from
     */
    @Transactional
    public boolean apply(UUID id, JobChange change, String actor, String message) {
        JobTransition transition = change.transition();
        JobRecord before = jobs.find(id).orElse(null);
        if (before == null || !transition.allowedFrom(before.run().status())) {
            return false;
        }
        OffsetDateTime now = Times.now(clock);
        JobUpdate update = change.update(before, now, JobRepository.truncate(message, 1024));
        if (!jobs.transition(id, transition, update)) {
            return false;
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("from", before.run().status().wire());
        data.put("to", transition.to().wire());
        data.put("transition", transition.name());
        data.put("attempt", update.attempts() != null ? update.attempts() : before.run().attempts());
        if (change.worker() != null) {
            data.put("worker", change.worker());
        }
        events.append(id, now, "state", message, data, actor);
        log.info("job {} {} -> {} by {}: {}", id, before.run().status().wire(), transition.to().wire(), actor, message);
        if (transition.to().isTerminal()) {
            OffsetDateTime since = before.run().startedAt() != null ? before.run().startedAt()
                    : before.submission().createdAt();
            metrics.finished(before.submission().method(), transition.to(), java.time.Duration.between(since, now));
        }
        return true;
    }
}
