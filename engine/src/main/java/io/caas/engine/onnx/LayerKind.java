package io.caas.engine.onnx;

/** The layer shapes a compression method can rewrite. */
public enum LayerKind {
    /** Gemm, or MatMul against a 2-D weight: y = x·W. */
    DENSE,
    /** Conv with a 4-D weight (out, in/group, kh, kw). */
    CONV
}
