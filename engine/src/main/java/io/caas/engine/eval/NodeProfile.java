package io.caas.engine.eval;

import java.util.List;

/**
 * Where one model's time goes in ONNX Runtime at one batch size, from its profiler: the nodes that take longest,
 * the rest summed, and the time per operator type. Bounded in size whatever the model: {@link #TOP_NODES} nodes.
 *
 * @param runs         profiled runs (after untimed warm-up runs); every figure is a median over them
 * @param runMicros    median wall time of a run as the profiler saw it, in microseconds
 * @param nodeMicros   sum of the nodes' median kernel times; the rest of runMicros is the executor's own work
 *                     (and the profiler's)
 * @param top          the {@link #TOP_NODES} nodes with the most time, longest first
 * @param otherNodes   how many nodes ran besides those
 * @param otherMicros  their time together
 * @param operators    time per operator type, longest first
 */
public record NodeProfile(int batchSize, int runs, double runMicros, double nodeMicros, List<NodeTime> top,
                          int otherNodes, double otherMicros, List<OperatorTime> operators) {

    public static final int TOP_NODES = 20;
}
