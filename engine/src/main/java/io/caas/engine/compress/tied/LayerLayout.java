package io.caas.engine.compress.tied;

import io.caas.engine.compress.LayerMatrix;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.NodeProto;

/**
 * How a layer's stored weight relates to the matrix M (in × out) with y = x·M that tying works on: MatMul and
 * Gemm with transB 0 store M itself, Gemm with transB 1 stores Mᵀ (out × in, as PyTorch exports nn.Linear), and a
 * 1×1 convolution stores Mᵀ as (out, in, 1, 1).
 */
record LayerLayout(int in, int out, boolean storesTranspose) {

    static LayerLayout of(WeightedLayer layer, NodeProto node) {
        int[] sides = LayerMatrix.sides(layer, node);
        return new LayerLayout(sides[0], sides[1], LayerMatrix.storesTranspose(layer, node));
    }

    /** M (in × out, row-major) from the stored values. */
    double[] matrix(float[] stored) {
        double[] m = new double[in * out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                m[i * out + j] = storesTranspose ? stored[j * in + i] : stored[i * out + j];
            }
        }
        return m;
    }

    /** The stored values for M (in × out, row-major); the weight's dims are unchanged. */
    float[] stored(double[] m) {
        float[] s = new float[in * out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                s[storesTranspose ? j * in + i : i * out + j] = (float) m[i * out + j];
            }
        }
        return s;
    }
}
