package io.caas.engine.compress;

import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.List;
import java.util.Map;

/**
 * A compressed model and what the method knows about how it got there. Measurements of the two models
 * (latency, accuracy, size) are taken separately by the evaluator so that every method is measured alike.
 *
 * @param curves named series over training steps (e.g. "loss", "totalRank"), each a list of [step, value]
 */
public record CompressionResult(ModelProto compressed, List<LayerReport> layers, Map<String, List<double[]>> curves) {
}
