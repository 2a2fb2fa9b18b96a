package io.caas.engine.compress.calibration;

import io.caas.engine.onnx.proto.Onnx.NodeProto;

/**
 * Where a layer's outputs are read for their effect on the model's output: the value its node writes, one row per
 * sample or position with the layer's output side across (channels last for a conv).
 *
 * @param node  the layer's node name, for messages
 * @param value the graph value the layer writes
 * @param width the layer's output side: out features, or output channels for a conv
 * @param conv  the value is (N, C, spatial...), channels second
 */
public record OutputProbe(String node, String value, int width, boolean conv) {

    public static OutputProbe of(String nodeName, NodeProto node, int out) {
        return new OutputProbe(nodeName, node.getOutput(0), out, node.getOpType().equals("Conv"));
    }
}
