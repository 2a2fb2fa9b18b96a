package io.caas.engine.compress.ldr;

import io.caas.engine.compress.svd.FactorizedExport;
import io.caas.engine.onnx.Tensors;
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

    static DenseLayer of(WeightedLayer layer, int nodeIndex, NodeProto node, TensorProto weight) {
        float[] w = Tensors.toFloats(weight);
        int d0 = Math.toIntExact(weight.getDims(0));
        int d1 = Math.toIntExact(weight.getDims(1));
        boolean gemm = node.getOpType().equals("Gemm");
        boolean transposed = gemm && FactorizedExport.intAttr(node, "transB") == 1;
        double alpha = gemm ? floatAttr(node, "alpha", 1) : 1;
        int in = transposed ? d1 : d0;
        int out = transposed ? d0 : d1;
        double[] m = new double[w.length];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                m[i * out + j] = alpha * (transposed ? w[j * d1 + i] : w[i * d1 + j]);
            }
        }
        return new DenseLayer(layer, nodeIndex, node, in, out, m);
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
