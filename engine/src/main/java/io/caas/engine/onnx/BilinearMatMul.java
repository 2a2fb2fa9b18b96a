package io.caas.engine.onnx;

import static io.caas.engine.onnx.PatternNodes.isActivationOfRank2;
import static io.caas.engine.onnx.PatternNodes.isOp;
import static io.caas.engine.onnx.PatternNodes.singleAxis;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
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
 * <p>The projection may also be a Gemm, as nn.Linear(i, k·j) exports for 2-D input, and may then have a bias c
 * (k·j values): z_k = xᵀW_k y + Σ_j c[k,j]·y_j, a term linear in y that {@link #projectionBias()} names.
 *
 * @param outMajor       whether the projection's columns run out-major (column k·in_y + j) rather than in_y-major
 * @param projection     the stored weight and the steps from it to the projection's matrix
 * @param projectionBias the Gemm's stored bias c, if it has one
 */
public record BilinearMatMul(String weight, String first, String second, long out, long inFirst, long inSecond,
                             String output, List<Integer> nodes, boolean outMajor, ProjectionWeight projection,
                             Optional<String> projectionBias)
        implements BilinearForm {

    /**
     * The bilinear layer whose projection x·W is the MatMul (or Gemm) at {@code index}, if the nodes after it
     * complete one.
     */
    public static Optional<BilinearMatMul> at(GraphIndex g, int index) {
        NodeProto projection = g.node(index);
        Optional<ProjectionWeight> w = projectionWeight(g, projection, index);
        if (w.isEmpty() || !isActivationOfRank2(g, projection.getInput(0))) {
            return Optional.empty();
        }
        String x = projection.getInput(0);
        Optional<String> bias = Optional.empty();
        if (isOp(projection, "Gemm") && projection.getInputCount() == 3 && !projection.getInput(2).isEmpty()) {
            bias = Optional.of(projection.getInput(2));
            if (!isProjectionBias(g, bias.get(), w.get().cols())) {
                return Optional.empty();
            }
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
        Optional<BilinearContraction> c = BilinearContraction.of(g, readers.get(0), t3);
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
                c.get().output(), List.copyOf(nodes), outMajor, w.get(), bias));
    }

    /**
     * The weight of a projection x·W written as MatMul(x, W), or as Gemm(x, W, c) the way nn.Linear exports for
     * 2-D input (transB=1 reads W as [out, in]; alpha and beta 1, x not transposed; other scalings are refused).
     */
    private static Optional<ProjectionWeight> projectionWeight(GraphIndex g, NodeProto n, int index) {
        if (n.getOutputCount() != 1 || n.getInputCount() < 2) {
            return Optional.empty();
        }
        if (isOp(n, "MatMul") && n.getInputCount() == 2) {
            return ProjectionWeight.resolve(g, n.getInput(1), index, 2);
        }
        if (!isOp(n, "Gemm") || n.getInputCount() > 3 || ModelInspector.intAttribute(n, "transA", 0) != 0
                || floatAttribute(n, "alpha") != 1f || floatAttribute(n, "beta") != 1f) {
            return Optional.empty();
        }
        long transB = ModelInspector.intAttribute(n, "transB", 0);
        Optional<ProjectionWeight> w = ProjectionWeight.resolve(g, n.getInput(1), index, 2);
        return transB == 0 ? w : transB == 1 ? w.map(ProjectionWeight::transposed) : Optional.empty();
    }

    /** Gemm's C as a stored float vector of one value per projection column ([cols] or [1, cols]). */
    private static boolean isProjectionBias(GraphIndex g, String c, long cols) {
        Optional<TensorProto> t = g.weights().get(c);
        if (t.isEmpty() || !Tensors.isFloating(t.get())) {
            return false;
        }
        List<Long> dims = t.get().getDimsList();
        return dims.equals(List.of(cols)) || dims.equals(List.of(1L, cols));
    }

    private static float floatAttribute(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getF();
            }
        }
        return 1f;
    }

    @Override
    public Optional<float[]> projectionBiasValues(Weights weights) {
        if (projectionBias.isEmpty()) {
            return Optional.empty();
        }
        float[] c = Tensors.toFloats(weights.get(projectionBias.get()).orElseThrow());
        float[] out = new float[(int) (this.out * inSecond)];
        for (int kk = 0; kk < this.out; kk++) {
            for (int jj = 0; jj < inSecond; jj++) {
                out[(int) (kk * inSecond + jj)] = c[column(kk, jj)];
            }
        }
        return Optional.of(out);
    }

    /** The projection column that holds output {@code k}'s coefficient for the second activation's {@code j}. */
    private int column(int k, int j) {
        return (int) (outMajor ? k * inSecond + j : j * out + k);
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
                    w[(kk * i + ii) * j + jj] = m[ii * k * j + column(kk, jj)];
                }
            }
        }
        return w;
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
}
