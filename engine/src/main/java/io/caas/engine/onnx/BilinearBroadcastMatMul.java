package io.caas.engine.onnx;

import static io.caas.engine.onnx.PatternNodes.axes;
import static io.caas.engine.onnx.PatternNodes.isActivationOfRank2;
import static io.caas.engine.onnx.PatternNodes.isOp;
import static io.caas.engine.onnx.PatternNodes.singleAxis;

import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A bilinear layer whose weight W is stored [out, in_x, in_y] and used as it is by a broadcasting MatMul, as
 * {@code torch.matmul(x[:, None, None, :], W)} exports: x unsqueezed to the row [N, 1, 1, in_x] times W is
 * [N, out, 1, in_y], and then either
 * <ul>
 *   <li>Squeeze(axis 2) to [N, out, in_y] and the tail {@link BilinearMatMul} knows, with the second activation on
 *   the last axis ({@code (t * y[:, None, :]).sum(-1)}, {@code torch.matmul(t, y.unsqueeze(-1)).squeeze(-1)}), or</li>
 *   <li>a second MatMul with y unsqueezed to the column [N, 1, in_y, 1], giving [N, out, 1, 1], and Squeezes that
 *   drop the two unit axes
 *   ({@code torch.matmul(torch.matmul(x4, W), y[:, None, :, None]).squeeze(-1).squeeze(-1)}).</li>
 * </ul>
 * The Unsqueezes may insert their axes in any order or together, as long as x ends as a row and y as a column;
 * every intermediate value is read by the next node of the pattern alone, and W reaches the MatMul as a stored
 * float constant, possibly through Transpose/Reshape steps.
 *
 * @param projection the stored weight and the steps from it to the [out, in_x, in_y] the MatMul reads
 */
public record BilinearBroadcastMatMul(String weight, String first, String second, long out, long inFirst,
                                      long inSecond, String output, List<Integer> nodes, ProjectionWeight projection)
        implements BilinearForm {

    /** x as the row the first MatMul multiplies: batch, two unit axes, features. */
    private static final String ROW = "N11f";
    /** y as the column the second MatMul multiplies: batch, unit, features, unit. */
    private static final String COLUMN = "N1f1";

    /** The bilinear layer whose broadcasting product x·W is the MatMul at {@code index}, if it is one. */
    public static Optional<BilinearBroadcastMatMul> at(GraphIndex g, int index) {
        NodeProto product = g.node(index);
        if (!isOp(product, "MatMul") || product.getInputCount() != 2 || product.getOutputCount() != 1) {
            return Optional.empty();
        }
        Optional<Unsqueezed> x = Unsqueezed.to(g, product.getInput(0), index, ROW);
        Optional<ProjectionWeight> w = ProjectionWeight.resolve(g, product.getInput(1), index, 3);
        Optional<Integer> next = onlyReader(g, product.getOutput(0));
        if (x.isEmpty() || w.isEmpty() || next.isEmpty()) {
            return Optional.empty();
        }
        List<Integer> nodes = new ArrayList<>(w.get().stepIndices());
        nodes.addAll(x.get().nodes());
        nodes.add(index);
        Optional<Tail> tail = squeezedThenContracted(g, next.get(), product.getOutput(0))
                .or(() -> contractedThenSqueezed(g, next.get(), product.getOutput(0)));
        if (tail.isEmpty()) {
            return Optional.empty();
        }
        nodes.addAll(tail.get().nodes());
        nodes.sort(Integer::compare);
        List<Long> dims = w.get().dims();
        return Optional.of(new BilinearBroadcastMatMul(w.get().stored(), x.get().activation(), tail.get().second(),
                dims.get(0), dims.get(1), dims.get(2), tail.get().output(), List.copyOf(nodes), w.get()));
    }

    @Override
    public float[] weightValues(Weights weights) {
        return projection.matrix(weights); // already [out, in_x, in_y]
    }

    /** The second activation, the layer's output, and the nodes after the product that compute it. */
    private record Tail(String second, String output, List<Integer> nodes) {
    }

    /** Squeeze(axis 2) of [N, out, 1, in_y], then y contracted with the last axis. */
    private static Optional<Tail> squeezedThenContracted(GraphIndex g, int squeezeAt, String t4) {
        NodeProto squeeze = g.node(squeezeAt);
        if (singleAxis(g, squeeze, "Squeeze", 4).orElse(-1) != 2 || !squeeze.getInput(0).equals(t4)
                || squeeze.getOutputCount() != 1) {
            return Optional.empty();
        }
        String t3 = squeeze.getOutput(0);
        Optional<Integer> contractAt = onlyReader(g, t3);
        Optional<BilinearContraction> c = contractAt.flatMap(at -> BilinearContraction.of(g, at, t3));
        if (c.isEmpty() || c.get().secondAxis() != 2) {
            return Optional.empty();
        }
        List<Integer> nodes = new ArrayList<>(c.get().nodes());
        nodes.add(squeezeAt);
        return Optional.of(new Tail(c.get().second(), c.get().output(), nodes));
    }

    /** MatMul([N, out, 1, in_y], y as [N, 1, in_y, 1]) = [N, out, 1, 1], then Squeezes down to [N, out]. */
    private static Optional<Tail> contractedThenSqueezed(GraphIndex g, int at, String t4) {
        NodeProto n = g.node(at);
        if (!isOp(n, "MatMul") || n.getInputCount() != 2 || n.getOutputCount() != 1 || !n.getInput(0).equals(t4)
                || n.getInput(1).equals(t4)) {
            return Optional.empty();
        }
        Optional<Unsqueezed> y = Unsqueezed.to(g, n.getInput(1), at, COLUMN);
        if (y.isEmpty()) {
            return Optional.empty();
        }
        List<Integer> nodes = new ArrayList<>(y.get().nodes());
        nodes.add(at);
        String layout = "Nk11";
        String v = n.getOutput(0);
        while (!layout.equals("Nk")) {
            Optional<Integer> s = onlyReader(g, v);
            if (s.isEmpty()) {
                return Optional.empty();
            }
            NodeProto squeeze = g.node(s.get());
            Optional<long[]> dropped = axes(g, squeeze, "Squeeze", layout.length());
            if (dropped.isEmpty() || !squeeze.getInput(0).equals(v) || squeeze.getOutputCount() != 1) {
                return Optional.empty();
            }
            StringBuilder kept = new StringBuilder(layout);
            for (int i = dropped.get().length - 1; i >= 0; i--) {
                int axis = (int) dropped.get()[i];
                if (layout.charAt(axis) != '1') {
                    return Optional.empty();
                }
                kept.deleteCharAt(axis);
            }
            layout = kept.toString();
            nodes.add(s.get());
            v = squeeze.getOutput(0);
        }
        return Optional.of(new Tail(y.get().activation(), v, nodes));
    }

    /** The one node that reads {@code value}, which is no graph output. */
    private static Optional<Integer> onlyReader(GraphIndex g, String value) {
        List<Integer> readers = g.readers(value);
        return readers.size() == 1 && !g.isGraphOutput(value) ? Optional.of(readers.get(0)) : Optional.empty();
    }

    /**
     * A rank-2 activation [N, features] brought to rank 4 by a chain of Unsqueezes, each value read by the next
     * node alone.
     *
     * @param activation the rank-2 activation
     * @param nodes      the Unsqueezes
     */
    private record Unsqueezed(String activation, List<Integer> nodes) {

        /**
         * The chain that ends in {@code value} (read by node {@code reader}) with the axes laid out as
         * {@code layout}: N the batch, f the features, 1 an inserted unit axis.
         */
        static Optional<Unsqueezed> to(GraphIndex g, String value, int reader, String layout) {
            List<Integer> chain = new ArrayList<>();
            String v = value;
            int readBy = reader;
            while (!isActivationOfRank2(g, v)) {
                OptionalInt p = g.producer(v);
                if (p.isEmpty() || !isOp(g.node(p.getAsInt()), "Unsqueeze") || g.node(p.getAsInt()).getInputCount() < 1
                        || !g.readOnlyBy(v, readBy)
                        || g.isGraphOutput(v) || chain.size() >= layout.length()) {
                    return Optional.empty();
                }
                chain.add(0, p.getAsInt());
                readBy = p.getAsInt();
                v = g.node(readBy).getInput(0);
            }
            if (chain.isEmpty()) {
                return Optional.empty();
            }
            StringBuilder axes = new StringBuilder("Nf");
            for (int u : chain) {
                // ONNX counts Unsqueeze's axes in the output's rank: the input's plus one per axis
                Optional<long[]> inserted = Optional.empty();
                for (int rank = axes.length() + 1; rank <= layout.length() && inserted.isEmpty(); rank++) {
                    int adds = rank - axes.length();
                    inserted = axes(g, g.node(u), "Unsqueeze", rank).filter(ax -> ax.length == adds);
                }
                if (inserted.isEmpty()) {
                    return Optional.empty();
                }
                for (long axis : inserted.get()) {
                    axes.insert((int) axis, '1');
                }
            }
            return axes.toString().equals(layout) ? Optional.of(new Unsqueezed(v, List.copyOf(chain)))
                    : Optional.empty();
        }
    }
}
