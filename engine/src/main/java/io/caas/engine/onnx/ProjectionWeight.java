package io.caas.engine.onnx;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The weight a MatMul or Gemm reads (a matrix, or a stack of them for a broadcasting MatMul), traced back to the stored tensor through the Transpose and Reshape steps an
 * exporter leaves in the graph when it does not fold constants (PyTorch's {@code w.permute(1, 0, 2).reshape(i, k*j)}
 * with {@code do_constant_folding=False}).
 *
 * @param stored      the initializer or Constant output holding the values
 * @param steps       the Transpose/Reshape nodes between it and the MatMul, in the order they apply
 * @param stepIndices their node indices
 * @param dims        the shape the reading node sees
 */
public record ProjectionWeight(String stored, List<NodeProto> steps, List<Integer> stepIndices, List<Long> dims) {

    /**
     * The weight behind {@code value}, read by node {@code reader}; empty unless it is a float constant reached
     * only through Transpose/Reshape steps that nothing else reads, ending with {@code rank} axes.
     */
    static Optional<ProjectionWeight> resolve(GraphIndex g, String value, int reader, int rank) {
        List<NodeProto> steps = new ArrayList<>();
        List<Integer> indices = new ArrayList<>();
        String v = value;
        int readBy = reader;
        while (!g.isConstant(v)) {
            OptionalInt p = g.producer(v);
            if (p.isEmpty() || !g.readOnlyBy(v, readBy) || steps.size() > 8) {
                return Optional.empty();
            }
            NodeProto n = g.node(p.getAsInt());
            boolean step = n.getDomain().isEmpty() && n.getOutputCount() == 1 && n.getInputCount() >= 1
                    && (n.getOpType().equals("Transpose") || n.getOpType().equals("Reshape")
                    && n.getInputCount() == 2 && g.constantInts(n.getInput(1)).isPresent());
            if (!step) {
                return Optional.empty();
            }
            steps.add(0, n);
            indices.add(0, p.getAsInt());
            readBy = p.getAsInt();
            v = n.getInput(0);
        }
        TensorProto t = g.weights().get(v).orElseThrow();
        if (!Tensors.isFloating(t)) {
            return Optional.empty();
        }
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        for (NodeProto step : steps) {
            if (step.getOpType().equals("Transpose")) {
                Optional<int[]> perm = permutation(step, dims.length);
                dims = perm.isPresent() ? permute(dims, perm.get()) : null;
            } else {
                dims = reshaped(dims, g.constantInts(step.getInput(1)).orElseThrow(), step);
            }
            if (dims == null) {
                return Optional.empty();
            }
        }
        if (dims.length != rank || Arrays.stream(dims).anyMatch(d -> d <= 0)) {
            return Optional.empty();
        }
        return Optional.of(new ProjectionWeight(v, List.copyOf(steps), List.copyOf(indices),
                Arrays.stream(dims).boxed().toList()));
    }

    /** Rows of the matrix a MatMul or Gemm sees. */
    public long rows() {
        return dims.get(0);
    }

    /** Its columns. */
    public long cols() {
        return dims.get(1);
    }

    /**
     * The same matrix as a node that transposes it itself reads it (Gemm's transB): one more Transpose step, with
     * no node of its own in the graph.
     */
    ProjectionWeight transposed() {
        List<NodeProto> withTranspose = new ArrayList<>(steps);
        withTranspose.add(NodeProto.newBuilder().setOpType("Transpose").build());
        return new ProjectionWeight(stored, List.copyOf(withTranspose), stepIndices, List.of(cols(), rows()));
    }

    /** The values as the reading node sees them, row-major: the stored values with every step applied. */
    public float[] matrix(Weights weights) {
        TensorProto t = weights.get(stored).orElseThrow();
        float[] values = Tensors.toFloats(t);
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        for (NodeProto step : steps) {
            if (step.getOpType().equals("Transpose")) {
                int[] perm = permutation(step, dims.length).orElseThrow();
                values = transpose(values, dims, perm);
                dims = permute(dims, perm);
            } else {
                dims = reshaped(dims, Tensors.toLongs(weights.get(step.getInput(1)).orElseThrow()), step);
            }
        }
        return values;
    }

    /** Transpose's perm, by default the reversed axes; empty unless it permutes exactly {@code rank} axes. */
    private static Optional<int[]> permutation(NodeProto transpose, int rank) {
        int[] perm = null;
        for (AttributeProto a : transpose.getAttributeList()) {
            if (a.getName().equals("perm")) {
                perm = a.getIntsList().stream().mapToInt(Long::intValue).toArray();
            }
        }
        if (perm == null) {
            perm = new int[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        if (perm.length != rank) {
            return Optional.empty();
        }
        boolean[] seen = new boolean[rank];
        for (int p : perm) {
            if (p < 0 || p >= rank || seen[p]) {
                return Optional.empty();
            }
            seen[p] = true;
        }
        return Optional.of(perm);
    }

    private static long[] permute(long[] dims, int[] perm) {
        long[] out = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            out[i] = dims[perm[i]];
        }
        return out;
    }

    /** Reshape's output dims (0 copies, -1 infers, as ONNX defines them), or null where they do not fit. */
    private static long[] reshaped(long[] dims, long[] shape, NodeProto reshape) {
        boolean allowZero = ModelInspector.intAttribute(reshape, "allowzero", 0) == 1;
        long total = 1;
        for (long d : dims) {
            total *= d;
        }
        long[] out = new long[shape.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            long s = shape[i];
            if (s == 0 && !allowZero) {
                if (i >= dims.length) {
                    return null;
                }
                s = dims[i];
            }
            if (s == -1) {
                if (infer >= 0) {
                    return null;
                }
                infer = i;
                continue;
            }
            if (s <= 0) {
                return null;
            }
            out[i] = s;
            known *= s;
        }
        if (infer >= 0) {
            if (known == 0 || total % known != 0) {
                return null;
            }
            out[infer] = total / known;
            known *= out[infer];
        }
        return known == total ? out : null;
    }

    private static float[] transpose(float[] values, long[] dims, int[] perm) {
        int rank = dims.length;
        long[] outDims = permute(dims, perm);
        long[] inStrides = strides(dims);
        float[] out = new float[values.length];
        int[] index = new int[rank]; // over the output's axes
        for (int o = 0; o < out.length; o++) {
            long from = 0;
            for (int a = 0; a < rank; a++) {
                from += index[a] * inStrides[perm[a]];
            }
            out[o] = values[(int) from];
            for (int a = rank - 1; a >= 0; a--) {
                if (++index[a] < outDims[a]) {
                    break;
                }
                index[a] = 0;
            }
        }
        return out;
    }

    private static long[] strides(long[] dims) {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int a = dims.length - 1; a >= 0; a--) {
            s[a] = acc;
            acc *= dims[a];
        }
        return s;
    }
}
