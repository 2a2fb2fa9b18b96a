package io.caas.engine.onnx;

import static io.caas.engine.onnx.PatternNodes.isActivationOfRank2;
import static io.caas.engine.onnx.PatternNodes.isOp;
import static io.caas.engine.onnx.PatternNodes.singleAxis;

import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The tail of a bilinear MatMul pattern: the node that contracts the projection, [N, a, b], with the second
 * activation, and the node that drops the contracted axis. Either Mul(t, Unsqueeze(y)) then ReduceSum over y's
 * axis, or MatMul(t, Unsqueeze(y, -1)) / MatMul(Unsqueeze(y, 1), t) then Squeeze.
 *
 * @param second     the second activation (before its Unsqueeze)
 * @param secondAxis the axis of [N, a, b] it is aligned with, 1 or 2
 * @param output     the layer's output, [N, out]
 * @param nodes      the Unsqueeze, the contraction and the reduction or Squeeze
 */
record BilinearContraction(String second, int secondAxis, String output, List<Integer> nodes) {

    /** The contraction at node {@code at}, which reads the projection {@code t3}, if it is one. */
    static Optional<BilinearContraction> of(GraphIndex g, int at, String t3) {
        NodeProto n = g.node(at);
        if (n.getInputCount() != 2 || n.getOutputCount() != 1 || n.getInput(0).equals(n.getInput(1))) {
            return Optional.empty();
        }
        boolean projectionFirst = n.getInput(0).equals(t3);
        String other = projectionFirst ? n.getInput(1) : n.getInput(0);
        OptionalInt unsqueezeAt = g.producer(other);
        if (unsqueezeAt.isEmpty() || !g.readOnlyBy(other, at)) {
            return Optional.empty();
        }
        NodeProto unsqueeze = g.node(unsqueezeAt.getAsInt());
        OptionalInt inserted = singleAxis(g, unsqueeze, "Unsqueeze", 3);
        if (inserted.isEmpty() || inserted.getAsInt() == 0 || !isActivationOfRank2(g, unsqueeze.getInput(0))) {
            return Optional.empty();
        }
        OptionalInt dropAt = g.readers(n.getOutput(0)).size() == 1 && !g.isGraphOutput(n.getOutput(0))
                ? OptionalInt.of(g.readers(n.getOutput(0)).get(0)) : OptionalInt.empty();
        if (dropAt.isEmpty()) {
            return Optional.empty();
        }
        NodeProto drop = g.node(dropAt.getAsInt());
        if (drop.getInputCount() < 1 || !drop.getInput(0).equals(n.getOutput(0)) || drop.getOutputCount() != 1) {
            return Optional.empty();
        }
        int secondAxis;
        boolean exact;
        if (isOp(n, "Mul")) {
            // y [N, j] unsqueezed at 1 is [N, 1, j], aligned with axis 2; at 2 it is [N, j, 1], with axis 1.
            // Σ_j t[n,·,j]·y[n,j]: the sum must run over that axis, and drop it
            secondAxis = inserted.getAsInt() == 1 ? 2 : 1;
            exact = singleAxis(g, drop, "ReduceSum", 3).orElse(-1) == secondAxis
                    && ModelInspector.intAttribute(drop, "keepdims", 1) == 0;
        } else if (isOp(n, "MatMul")) {
            // [N,a,b]·[N,j,1] contracts axis 2 -> [N,a,1], squeeze 2;
            // [N,1,j]·[N,a,b] contracts axis 1 -> [N,1,b], squeeze 1
            secondAxis = projectionFirst ? 2 : 1;
            exact = inserted.getAsInt() == secondAxis
                    && singleAxis(g, drop, "Squeeze", 3).orElse(-1) == secondAxis;
        } else {
            secondAxis = 0;
            exact = false;
        }
        if (!exact) {
            return Optional.empty();
        }
        return Optional.of(new BilinearContraction(unsqueeze.getInput(0), secondAxis, drop.getOutput(0),
                List.of(unsqueezeAt.getAsInt(), at, dropAt.getAsInt())));
    }
}
