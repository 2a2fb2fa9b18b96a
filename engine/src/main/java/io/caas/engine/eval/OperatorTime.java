package io.caas.engine.eval;

/**
 * All nodes of one operator type in a profiled run.
 *
 * @param nodes  how many nodes of this type ran
 * @param micros the sum of their median kernel times per run, in microseconds
 * @param share  of {@link NodeProfile#nodeMicros()}
 */
public record OperatorTime(String opType, int nodes, double micros, double share) {
}
