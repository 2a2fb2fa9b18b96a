package io.caas.engine.runtime;

import ai.djl.ndarray.NDList;

/** The computation of one ONNX op_type. Returns one array per node output (null for an output not produced). */
@FunctionalInterface
public interface Operator {

    NDList apply(OpCall call);
}
