package io.caas.engine.compress.calibration;

import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.List;

/**
 * Where a layer's inputs are read and how they become rows x with y = x·W: the value its node takes first, as is
 * for a dense layer (transposed where a Gemm has transA), or as the patches a conv kernel sees.
 *
 * @param node       the layer's node name, for messages
 * @param value      the graph value the layer reads
 * @param width      the length of each row
 * @param transposed the value is (width × rows), as a Gemm with transA reads it
 * @param kernel     for a conv, its input channels then kernel sizes; empty for a dense layer
 * @param convNode   for a conv, its node, whose strides, pads and dilations the patches follow; else null
 */
public record LayerProbe(String node, String value, int width, boolean transposed, long[] kernel,
                         NodeProto convNode) {

    /**
     * @param weightShape the layer's weight as stored: (out, c, k...) for a conv
     * @param in          the layer's input side (the row width)
     */
    public static LayerProbe of(String nodeName, NodeProto node, List<Long> weightShape, int in) {
        if (node.getOpType().equals("Conv")) {
            long[] kernel = weightShape.stream().skip(1).mapToLong(Long::longValue).toArray();
            return new LayerProbe(nodeName, node.getInput(0), in, false, kernel, node);
        }
        boolean transposed = node.getOpType().equals("Gemm") && FactorizedExport.intAttr(node, "transA") == 1;
        return new LayerProbe(nodeName, node.getInput(0), in, transposed, new long[0], null);
    }

    public boolean conv() {
        return kernel.length > 0;
    }
}
