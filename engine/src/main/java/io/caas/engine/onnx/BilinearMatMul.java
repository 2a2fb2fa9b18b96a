package io.caas.engine.onnx;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A bilinear layer written with matrix products, as PyTorch exports it where nn.Bilinear cannot be (aten::bilinear
 * has no ONNX export): the first activation is projected by a stored weight, t = x·W with W [in_x, out·in_y]
 * (or [in_x, in_y·out]), t is reshaped to [N, out, in_y] (or [N, in_y, out]), and the second activation is
 * contracted with its in_y axis, either as
 * <ul>
 *   <li>Mul(t, Unsqueeze(y)) then ReduceSum over that axis ({@code (t * y.unsqueeze(1)).sum(-1)}), or</li>
 *   <li>MatMul(t, Unsqueeze(y, -1)) or MatMul(Unsqueeze(y, 1), t), then Squeeze
 *   ({@code torch.matmul(t, y.unsqueeze(-1)).squeeze(-1)}, {@code torch.bmm}).</li>
 * </ul>
 * The reshape target may be constant or built at run time from the batch size (Shape, Gather, Unsqueeze, Concat,
 * with the Shape of an input or of t itself, as {@code t.view(t.shape[0], k, j)} exports);
 * the weight may be stored as the matrix or reach it through Transpose/Reshape steps (nn.Bilinear's [out, in_x,
 * in_y] permuted and flattened). Only the exact form is accepted: a float constant weight, two activations of rank
 * 2 (they may be the same tensor), the contraction on the axis the second one sits on, and every intermediate value
 * read by the next node of the pattern alone, so that replacing the matched nodes changes nothing else.
 *
 * @param outMajor   whether the projection's columns run out-major (column k·in_y + j) rather than in_y-major
 * @param projection the stored weight and the steps from it to the projection's matrix
 */
public record BilinearMatMul(String weight, String first, String second, long out, long inFirst, long inSecond,
                             String output, List<Integer> nodes, boolean outMajor, ProjectionWeight projection)
        implements BilinearForm {

    /** The bilinear layer whose projection x·W is the MatMul at {@code index}, if the nodes after it complete one. */
    public static Optional<BilinearMatMul> at(GraphIndex g, int index) {
        NodeProto projection = g.node(index);
        if (!isOp(projection, "MatMul") || projection.getInputCount() != 2 || projection.getOutputCount() != 1) {
            return Optional.empty();
        }
        String x = projection.getInput(0);
        if (!isActivationOfRank2(g, x)) {
            return Optional.empty();
        }
        Optional<ProjectionWeight> w = ProjectionWeight.resolve(g, projection.getInput(1), index);
        if (w.isEmpty()) {
            return Optional.empty();
        }
        String t = projection.getOutput(0);
        List<Integer> tReaders = g.readers(t);
        OptionalInt reshapeAt = tReaders.stream().filter(r -> isOp(g.node(r), "Reshape")
                && g.node(r).getInput(0).equals(t)).mapToInt(Integer::intValue).findFirst();
        if (reshapeAt.isEmpty() || g.isGraphOutput(t)) {
            return Optional.empty();
        }
        NodeProto reshape = g.node(reshapeAt.getAsInt());
        Optional<ReshapeTarget> target = ReshapeTarget.of(g, reshape, reshapeAt.getAsInt());
        if (target.isEmpty() || target.get().a() * target.get().b() != w.get().cols()) {
            return Optional.empty();
        }
        // besides the Reshape, only the Shape that reads its batch size for the target (t.view(t.shape[0], k, j))
        for (int r : tReaders) {
            if (r != reshapeAt.getAsInt() && !target.get().batchNodes().contains(r)) {
                return Optional.empty();
            }
        }
        String t3 = reshape.getOutput(0);
        List<Integer> readers = g.readers(t3);
        if (readers.size() != 1 || g.isGraphOutput(t3)) {
            return Optional.empty();
        }
        Optional<Contraction> c = Contraction.of(g, readers.get(0), t3);
        if (c.isEmpty()) {
            return Optional.empty();
        }
        long a = target.get().a();
        long b = target.get().b();
        // the second activation sits on axis 2 of [N, a, b] (then b is in_y) or on axis 1 (then a is)
        boolean outMajor = c.get().secondAxis() == 2;
        long inSecond = outMajor ? b : a;
        long out = outMajor ? a : b;
        List<Integer> nodes = new ArrayList<>(w.get().stepIndices());
        nodes.add(index);
        nodes.add(reshapeAt.getAsInt());
        if (tReaders.size() > 1) {
            nodes.addAll(target.get().batchNodes()); // they read t, which goes
        }
        nodes.addAll(c.get().nodes());
        nodes.sort(Integer::compare);
        return Optional.of(new BilinearMatMul(w.get().stored(), x, c.get().second(), out, w.get().rows(), inSecond,
                c.get().output(), List.copyOf(nodes), outMajor, w.get()));
    }

    @Override
    public float[] weightValues(Weights weights) {
        float[] m = projection.matrix(weights);
        int k = (int) out;
        int i = (int) inFirst;
        int j = (int) inSecond;
        float[] w = new float[k * i * j];
        for (int kk = 0; kk < k; kk++) {
            for (int ii = 0; ii < i; ii++) {
                for (int jj = 0; jj < j; jj++) {
                    int column = outMajor ? kk * j + jj : jj * k + kk;
                    w[(kk * i + ii) * j + jj] = m[ii * k * j + column];
                }
            }
        }
        return w;
    }

    /**
     * The node that contracts the reshaped projection with the second activation, and the node that drops the
     * contracted axis.
     *
     * @param second     the second activation (before its Unsqueeze)
     * @param secondAxis the axis of [N, a, b] it is aligned with, 1 or 2
     * @param output     the layer's output, [N, out]
     * @param nodes      the Unsqueeze, the contraction and the reduction or Squeeze
     */
    private record Contraction(String second, int secondAxis, String output, List<Integer> nodes) {

        static Optional<Contraction> of(GraphIndex g, int at, String t3) {
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
            return Optional.of(new Contraction(unsqueeze.getInput(0), secondAxis, drop.getOutput(0),
                    List.of(unsqueezeAt.getAsInt(), at, dropAt.getAsInt())));
        }
    }

    /**
     * The reshape of the projection to [batch, a, b]: a and b positive constants, batch -1, 0 (copied), a constant,
     * or one run-time number (Unsqueeze of a Gather of one index, as exporters build the batch size).
     *
     * @param batchNodes where the batch size is read at run time by Concat(Unsqueeze(Gather(Shape(v), i)), a, b)
     *                   with each value read by the next node alone: those four nodes; otherwise empty
     */
    private record ReshapeTarget(long a, long b, List<Integer> batchNodes) {

        static Optional<ReshapeTarget> of(GraphIndex g, NodeProto reshape, int reshapeAt) {
            if (reshape.getInputCount() != 2 || reshape.getOutputCount() != 1) {
                return Optional.empty();
            }
            boolean allowZero = ModelInspector.intAttribute(reshape, "allowzero", 0) == 1;
            String shape = reshape.getInput(1);
            Optional<long[]> constant = g.constantInts(shape);
            if (constant.isPresent()) {
                long[] s = constant.get();
                return s.length == 3 && batchOk(s[0], allowZero) ? sides(s[1], s[2], List.of()) : Optional.empty();
            }
            OptionalInt concatAt = g.producer(shape);
            if (concatAt.isEmpty()) {
                return Optional.empty();
            }
            NodeProto concat = g.node(concatAt.getAsInt());
            if (!isOp(concat, "Concat") || concat.getInputCount() != 3
                    || ModelInspector.intAttribute(concat, "axis", 0) != 0) {
                return Optional.empty();
            }
            Optional<long[]> a = g.constantInts(concat.getInput(1));
            Optional<long[]> b = g.constantInts(concat.getInput(2));
            if (a.isEmpty() || b.isEmpty() || a.get().length != 1 || b.get().length != 1) {
                return Optional.empty();
            }
            Optional<long[]> batch = g.constantInts(concat.getInput(0));
            if (batch.isPresent()) {
                return batch.get().length == 1 && batchOk(batch.get()[0], allowZero)
                        ? sides(a.get()[0], b.get()[0], List.of()) : Optional.empty();
            }
            Optional<List<Integer>> runTime = oneRuntimeNumber(g, concat.getInput(0));
            if (runTime.isEmpty()) {
                return Optional.empty();
            }
            List<Integer> chain = new ArrayList<>(List.of(concatAt.getAsInt()));
            chain.addAll(runTime.get());
            boolean exclusive = g.readOnlyBy(shape, reshapeAt);
            for (int n = 0; n + 1 < chain.size() && exclusive; n++) {
                exclusive = g.readOnlyBy(g.node(chain.get(n + 1)).getOutput(0), chain.get(n));
            }
            return sides(a.get()[0], b.get()[0], exclusive && runTime.get().size() == 3 ? chain : List.of());
        }

        private static boolean batchOk(long batch, boolean allowZero) {
            return batch == -1 || batch > 0 || batch == 0 && !allowZero;
        }

        private static Optional<ReshapeTarget> sides(long a, long b, List<Integer> batchNodes) {
            return a > 0 && b > 0 ? Optional.of(new ReshapeTarget(a, b, batchNodes)) : Optional.empty();
        }

        /**
         * Unsqueeze(axis 0) of a Gather with one scalar index: a 1-element vector whatever it gathers from. The
         * Unsqueeze and the Gather, and the Shape the Gather reads if it reads one.
         */
        private static Optional<List<Integer>> oneRuntimeNumber(GraphIndex g, String value) {
            OptionalInt u = g.producer(value);
            if (u.isEmpty() || singleAxis(g, g.node(u.getAsInt()), "Unsqueeze", 1).orElse(-1) != 0) {
                return Optional.empty();
            }
            OptionalInt gather = g.producer(g.node(u.getAsInt()).getInput(0));
            if (gather.isEmpty()) {
                return Optional.empty();
            }
            NodeProto n = g.node(gather.getAsInt());
            if (!isOp(n, "Gather") || n.getInputCount() != 2
                    || !g.weights().get(n.getInput(1)).map(t -> t.getDimsCount() == 0).orElse(false)) {
                return Optional.empty();
            }
            OptionalInt shape = g.producer(n.getInput(0));
            if (shape.isPresent() && isOp(g.node(shape.getAsInt()), "Shape")) {
                return Optional.of(List.of(u.getAsInt(), gather.getAsInt(), shape.getAsInt()));
            }
            return Optional.of(List.of(u.getAsInt(), gather.getAsInt()));
        }
    }

    /** An activation (not a stored constant) known to be [N, features]. */
    private static boolean isActivationOfRank2(GraphIndex g, String value) {
        return !value.isEmpty() && !g.isConstant(value) && g.rank(value).orElse(-1) == 2;
    }

    /**
     * The one axis of an Unsqueeze, Squeeze or ReduceSum (attribute before opset 13, constant input after),
     * normalised into {@code [0, rank)} where {@code rank} is the rank the axis counts in; empty for any other
     * node or for several or no axes.
     */
    private static OptionalInt singleAxis(GraphIndex g, NodeProto n, String op, int rank) {
        if (!isOp(n, op)) {
            return OptionalInt.empty();
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
        if (axes == null || axes.length != 1 || axes[0] < -rank || axes[0] >= rank) {
            return OptionalInt.empty();
        }
        return OptionalInt.of((int) (axes[0] < 0 ? axes[0] + rank : axes[0]));
    }

    private static boolean isOp(NodeProto n, String op) {
        return n.getOpType().equals(op) && n.getDomain().isEmpty();
    }
}
