package io.caas.engine.runtime;

import java.util.Set;
import java.util.TreeSet;

/**
 * The ONNX operators (default domain) the interpreter executes. A model with any other operator can still be
 * inspected and rewritten, but not fine-tuned: the job is refused up front, naming the operator.
 */
public final class SupportedOperators {

    private static final Set<String> OPERATORS = Set.copyOf(new TreeSet<>(Set.of(
            "Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum", "DFT",
            // Max: openWakeWord's embedding model (a TensorFlow export) writes its activations as Max nodes.
            "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Max", "Min", "Neg", "Exp", "Log", "Abs", "Reciprocal",
            "Floor", "Ceil",
            "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Erf", "Gelu", "HardSigmoid", "HardSwish", "Clip",
            "Softmax", "LogSoftmax", "BatchNormalization", "LayerNormalization",
            "MaxPool", "AveragePool", "GlobalAveragePool",
            "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather",
            "Shape", "Expand", "Where", "Cast",
            "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
            "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp",
            // comparisons and logic: the conditions of scripted models' data-dependent branches
            "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Not", "And", "Or", "Xor",
            "If", "Loop", "Scan", "LSTM", "GRU", "RNN",
            "Dropout", "Identity", "Constant", "ConstantOfShape", "Pad", "Resize")));

    private SupportedOperators() {
    }

    public static boolean isSupported(String domain, String opType) {
        return (domain == null || domain.isEmpty() || domain.equals("ai.onnx")) && OPERATORS.contains(opType);
    }

    public static Set<String> all() {
        return OPERATORS;
    }
}
