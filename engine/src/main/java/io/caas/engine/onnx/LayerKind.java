package io.caas.engine.onnx;

/** The layer shapes a compression method can rewrite. */
public enum LayerKind {
    /** Gemm, or MatMul against a 2-D weight: y = x·W. */
    DENSE,
    /** Conv with a 4-D weight (out, in/group, kh, kw). */
    CONV,
    /** Bilinear layer z_k = xᵀ·W_k·y on two activations, an Einsum with a 3-D weight (out, in_x, in_y). */
    BILINEAR,
    /**
     * The input weights W of an LSTM, GRU or RNN node, [num_directions, gates·hidden, input]: every step's input
     * projection x·Wᵀ, one linear map of the node's input shared by its directions. The recurrent weights R are not
     * listed: they stay dense.
     */
    RECURRENT
}
