package io.caas.service.job;

import java.time.OffsetDateTime;
import java.util.Map;

/**
 * One entry of a job's log.
 *
 * @param type "state" (a transition), "progress", "metric" (a training value at a step) or "log"
 * @param data  structured values: the transition's from/to, a metric's name/step/value...
 * @param actor who caused it: an API key ("key:<name> (<id>)"), a worker ("worker:<name>") or the service itself
 *              ("service:<part>")
 */
public record JobEvent(long id, OffsetDateTime at, String type, String message, Map<String, Object> data,
                       String actor) {
}
