/**
 * Measurements in ONNX Runtime, taken alike for every model: {@link io.caas.engine.eval.Evaluator#measure} (size,
 * latency, accuracy), {@link io.caas.engine.eval.Evaluator#compare} (agreement of two models without labels),
 * {@link io.caas.engine.eval.Evaluator#measurePair} (both, with the two models' latency from alternating rounds),
 * {@link io.caas.engine.eval.Evaluator#profile} (time per node from ORT's profiler) and
 * {@link io.caas.engine.eval.ShapeProbe} (the sizes of a graph's inner values, for counting MACs).
 */
package io.caas.engine.eval;
