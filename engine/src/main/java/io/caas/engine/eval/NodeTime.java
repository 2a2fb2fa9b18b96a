package io.caas.engine.eval;

/**
 * One node's share of a run, as ONNX Runtime's profiler saw it.
 *
 * @param node   the name ONNX Runtime runs the node under: its graph optimizations rename what they fuse (a Gemm
 *               fused with its Relu is "fused gemm_0", a Conv in the NCHWc layout is named after its output
 *               and "_nchwc"), and add layout nodes (ReorderInput/ReorderOutput)
 * @param micros median kernel time per run, in microseconds
 * @param share  of {@link NodeProfile#nodeMicros()}
 */
public record NodeTime(String node, String opType, double micros, double share) {
}
