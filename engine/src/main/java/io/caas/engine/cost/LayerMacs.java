package io.caas.engine.cost;

/**
 * A weighted layer's multiply-accumulates for one sample.
 *
 * @param macs null where ONNX Runtime could not size the layer's operands
 */
public record LayerMacs(String node, String opType, Long macs) {
}
