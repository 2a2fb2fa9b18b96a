package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * Comparisons and boolean logic: what a scripted model's data-dependent {@code if} is computed from. Boolean
 * results carry no gradient (nothing flows through a comparison), so they need no care in training.
 */
final class LogicOps {

    private LogicOps() {
    }

    static void register(Map<String, Operator> r) {
        r.put("Equal", compare(NDArray::eq));
        r.put("Greater", compare(NDArray::gt));
        r.put("GreaterOrEqual", compare(NDArray::gte));
        r.put("Less", compare(NDArray::lt));
        r.put("LessOrEqual", compare(NDArray::lte));
        r.put("Not", c -> new NDList(bool(c.in(0)).logicalNot()));
        r.put("And", logic(NDArray::logicalAnd));
        r.put("Or", logic(NDArray::logicalOr));
        r.put("Xor", logic(NDArray::logicalXor));
    }

    /** Both sides in one type first: ONNX requires it, PyTorch would promote differently for mixed ints. */
    private static Operator compare(BinaryOperator<NDArray> f) {
        return c -> {
            NDArray a = c.in(0);
            NDArray b = c.in(1);
            if (a.getDataType() != b.getDataType()) {
                b = b.toType(a.getDataType(), false);
            }
            return new NDList(f.apply(a, b));
        };
    }

    private static Operator logic(BinaryOperator<NDArray> f) {
        return c -> new NDList(f.apply(bool(c.in(0)), bool(c.in(1))));
    }

    private static NDArray bool(NDArray x) {
        return x.getDataType() == DataType.BOOLEAN ? x : x.toType(DataType.BOOLEAN, false);
    }
}
