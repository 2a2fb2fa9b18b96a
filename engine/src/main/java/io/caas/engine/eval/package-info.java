/**
 * Measurements in ONNX Runtime, taken alike for every model: {@link io.caas.engine.eval.Evaluator#measure} (size,
 * latency, accuracy) and {@link io.caas.engine.eval.Evaluator#compare} (agreement of two models without labels).
 */
package io.caas.engine.eval;
