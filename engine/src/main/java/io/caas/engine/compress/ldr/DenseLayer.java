package io.caas.engine.compress.ldr;

import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.LayerMatrix;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;

/**
 * A Gemm or MatMul node as the matrix ldr replaces: W (in × out) with y = x·W (+ beta·C), Gemm's transB resolved
 * and alpha folded into W.
 *
 * @param matrix row-major in × out
 */
record DenseLayer(WeightedLayer layer, int nodeIndex, NodeProto node, int in, int out, double[] matrix) {

    /** The layer's matrix as every low-rank method reads it ({@link LayerMatrix}). */
    static DenseLayer of(WeightedLayer layer, int nodeIndex, NodeProto node, TensorProto weight) {
        LayerMatrix m = LayerMatrix.of(layer, nodeIndex, node, weight);
        return new DenseLayer(layer, nodeIndex, node, m.in(), m.out(), m.matrix());
    }

    /** Gemm with transA would feed xᵀ; ldr leaves such a node alone. */
    static boolean transposesInput(NodeProto node) {
        return node.getOpType().equals("Gemm") && FactorizedExport.intAttr(node, "transA") == 1;
    }

    static double floatAttr(NodeProto node, String name, double fallback) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getF();
            }
        }
        return fallback;
    }
}
