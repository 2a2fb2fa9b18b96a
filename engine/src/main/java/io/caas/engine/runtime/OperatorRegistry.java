package io.caas.engine.runtime;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Operators by op_type (default ONNX domain). Its key set is exactly {@link SupportedOperators#all()}. */
public final class OperatorRegistry {

    private static final Map<String, Operator> OPERATORS;

    static {
        Map<String, Operator> r = new TreeMap<>();
        ElementwiseOps.register(r);
        NeuralOps.register(r);
        ShapeOps.register(r);
        TensorOps.register(r);
        ReductionOps.register(r);
        LogicOps.register(r);
        ControlFlowOps.register(r);
        RecurrentOps.register(r);
        ResamplingOps.register(r);
        EinsumOp.register(r);
        DftOp.register(r);
        OPERATORS = Collections.unmodifiableMap(r);
    }

    private OperatorRegistry() {
    }

    public static Map<String, Operator> all() {
        return OPERATORS;
    }

    public static Operator forNode(OnnxNode node) {
        Operator fused = FusedPatterns.operator(node);
        if (fused != null) {
            return fused;
        }
        Operator op = SupportedOperators.isSupported(node.domain(), node.opType()) ? OPERATORS.get(node.opType()) : null;
        if (op == null) {
            String domain = node.domain().isEmpty() ? "" : node.domain() + ".";
            throw new UnsupportedOperatorException(node.opType(), "operator " + domain + node.opType()
                    + " is not supported by the interpreter (" + node.describe() + ")");
        }
        return op;
    }
}
