package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Map;

/**
 * Control flow: nodes that run a graph of their own. The branch or body runs on the same autograd tape as the
 * rest of the pass, so fine-tuning reaches the weights inside the branch that was taken.
 */
final class ControlFlowOps {

    private ControlFlowOps() {
    }

    static void register(Map<String, Operator> r) {
        r.put("If", c -> c.runSubgraph(isTrue(c.in(0)) ? "then_branch" : "else_branch", List.of()));
    }

    /** A one-element condition, of any numeric type as ONNX Runtime accepts it: non-zero is true. */
    static boolean isTrue(NDArray cond) {
        if (cond.getShape().size() != 1) {
            throw new IllegalArgumentException("the condition must hold one element, it has shape " + cond.getShape());
        }
        return cond.getDataType() == DataType.BOOLEAN ? cond.toBooleanArray()[0]
                : cond.toType(DataType.FLOAT64, false).toDoubleArray()[0] != 0;
    }
}
