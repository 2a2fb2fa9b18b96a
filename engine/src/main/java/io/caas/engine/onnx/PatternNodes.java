package io.caas.engine.onnx;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/** Small checks the bilinear MatMul patterns share: operator identity, axis attributes, activations. */
final class PatternNodes {

    private PatternNodes() {
    }

    static boolean isOp(NodeProto n, String op) {
        return n.getOpType().equals(op) && n.getDomain().isEmpty();
    }

    /** An activation (not a stored constant) known to be [N, features]. */
    static boolean isActivationOfRank2(GraphIndex g, String value) {
        return !value.isEmpty() && !g.isConstant(value) && g.rank(value).orElse(-1) == 2;
    }

    /**
     * The one axis of an Unsqueeze, Squeeze or ReduceSum (attribute before opset 13, constant input after),
     * normalised into {@code [0, rank)} where {@code rank} is the rank the axis counts in; empty for any other
     * node or for several or no axes.
     */
    static OptionalInt singleAxis(GraphIndex g, NodeProto n, String op, int rank) {
        Optional<long[]> axes = axes(g, n, op, rank);
        return axes.isPresent() && axes.get().length == 1 ? OptionalInt.of((int) axes.get()[0]) : OptionalInt.empty();
    }

    /**
     * The axes of an Unsqueeze, Squeeze or ReduceSum normalised into {@code [0, rank)} and sorted; empty for any
     * other node, for one without its data input, for no axes, for one out of range or repeated.
     */
    static Optional<long[]> axes(GraphIndex g, NodeProto n, String op, int rank) {
        if (!isOp(n, op) || n.getInputCount() < 1 || n.getInput(0).isEmpty()) {
            return Optional.empty();
        }
        long[] axes = null;
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals("axes")) {
                axes = a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        if (axes == null && n.getInputCount() >= 2) {
            axes = g.constantInts(n.getInput(1)).orElse(null);
        }
        if (axes == null || axes.length == 0) {
            return Optional.empty();
        }
        long[] normalised = new long[axes.length];
        for (int i = 0; i < axes.length; i++) {
            if (axes[i] < -rank || axes[i] >= rank) {
                return Optional.empty();
            }
            normalised[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
        }
        Arrays.sort(normalised);
        for (int i = 1; i < normalised.length; i++) {
            if (normalised[i] == normalised[i - 1]) {
                return Optional.empty();
            }
        }
        return Optional.of(normalised);
    }
}
