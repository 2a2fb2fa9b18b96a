package io.caas.engine.compress;

import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;

/**
 * How one layer's stored weight maps to the matrix the low-rank methods work on, W (in × out) with y = x·W, and
 * back: Gemm transB and alpha are resolved (alpha is folded into W), a conv kernel (out, c, kh, kw) becomes its
 * transposed reshape (c·kh·kw × out), a recurrent node's input weights (directions, gates·hidden, in) their
 * directions stacked and transposed (in × directions·gates·hidden): the node's input projection of each step. Also
 * lays factors out as the weights of the layers that replace the node.
 */
public final class LayerMatrix {

    private final WeightedLayer layer;
    private final int nodeIndex;
    private final long[] weightDims;
    private final boolean conv;
    /** A recurrent node's W: stored out-major as a conv kernel is, factorized into a MatMul before the node. */
    private final boolean recurrent;
    private final boolean transposed;
    private final double alpha;
    private final int in;
    private final int out;
    private final double[] matrix;

    private LayerMatrix(WeightedLayer layer, int nodeIndex, long[] weightDims, boolean conv, boolean recurrent,
                        boolean transposed, double alpha, int in, int out, double[] matrix) {
        this.layer = layer;
        this.nodeIndex = nodeIndex;
        this.weightDims = weightDims;
        this.conv = conv;
        this.recurrent = recurrent;
        this.transposed = transposed;
        this.alpha = alpha;
        this.in = in;
        this.out = out;
        this.matrix = matrix;
    }

    public static LayerMatrix of(WeightedLayer layer, int nodeIndex, NodeProto node, TensorProto weight) {
        float[] w = Tensors.toFloats(weight);
        long[] dims = weight.getDimsList().stream().mapToLong(Long::longValue).toArray();
        if (layer.kind() == LayerKind.CONV || layer.kind() == LayerKind.RECURRENT) {
            // both out-major: a conv kernel's out channels, a recurrent W's directions·gates·hidden rows
            boolean recurrent = layer.kind() == LayerKind.RECURRENT;
            int out = Math.toIntExact(recurrent ? dims[0] * dims[1] : dims[0]);
            int in = w.length / out;
            double[] m = new double[w.length];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    m[i * out + o] = w[o * in + i];
                }
            }
            return new LayerMatrix(layer, nodeIndex, dims, !recurrent, recurrent, false, 1, in, out, m);
        }
        int d1 = Math.toIntExact(dims[1]);
        boolean gemm = node.getOpType().equals("Gemm");
        boolean transposed = storesTranspose(layer, node);
        double alpha = 1;
        if (gemm) {
            for (AttributeProto a : node.getAttributeList()) {
                if (a.getName().equals("alpha")) {
                    alpha = a.getF();
                }
            }
        }
        int[] sides = sides(layer, node);
        int in = sides[0];
        int out = sides[1];
        double[] m = new double[w.length];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                m[i * out + j] = alpha * (transposed ? w[j * d1 + i] : w[i * d1 + j]);
            }
        }
        return new LayerMatrix(layer, nodeIndex, dims, false, false, transposed, alpha, in, out, m);
    }

    /**
     * Whether a dense layer's stored weight holds Wᵀ (out × in): a Gemm under transB, as PyTorch exports nn.Linear;
     * a conv kernel and a recurrent W always do (out-major).
     */
    public static boolean storesTranspose(WeightedLayer layer, NodeProto node) {
        return layer.kind() == LayerKind.CONV || layer.kind() == LayerKind.RECURRENT
                || node.getOpType().equals("Gemm") && FactorizedExport.intAttr(node, "transB") == 1;
    }

    /** The sides in × out of the layer's matrix W (y = x·W), the stored layout resolved. */
    public static int[] sides(WeightedLayer layer, NodeProto node) {
        long[] rowsCols = layer.matrixShape();
        int rows = Math.toIntExact(rowsCols[0]);
        int cols = Math.toIntExact(rowsCols[1]);
        // matrixShape is out-major for convs and recurrent W, as stored for dense layers
        return storesTranspose(layer, node) ? new int[] {cols, rows} : new int[] {rows, cols};
    }

    public WeightedLayer layer() {
        return layer;
    }

    public int nodeIndex() {
        return nodeIndex;
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    public double[] matrix() {
        return matrix.clone();
    }

    public long parameters() {
        return (long) in * out;
    }

    /**
     * The training form of W ≈ A·S·B (A in × r, S r × r, B r × out, row-major): three layers, S as a 1×1 conv for
     * convolutions; for a recurrent node A and S as MatMuls before it and B as its smaller W.
     */
    public FactorizedExport.Replacement threeFactors(int r, double[] a, double[] s, double[] b) {
        if (recurrent) {
            return new FactorizedExport.Replacement(nodeIndex, layer.node(), floats(a), new long[] {in, r},
                    floats(s), new long[] {r, r}, floats(transpose(b, r, out)), recurrentDims(r));
        }
        if (conv) {
            return new FactorizedExport.Replacement(nodeIndex, layer.node(),
                    floats(transpose(a, in, r)), filterDims(r, weightDims),
                    floats(transpose(s, r, r)), pointwiseDims(r, r, weightDims),
                    floats(transpose(b, r, out)), pointwiseDims(out, r, weightDims));
        }
        return new FactorizedExport.Replacement(nodeIndex, layer.node(), floats(a), new long[] {in, r},
                floats(s), new long[] {r, r}, floats(b), new long[] {r, out});
    }

    /**
     * The exported form of W ≈ A·S·B: two factors, A·√S and √S·B where S is diagonal (after re-orthogonalisation),
     * else A and S·B.
     */
    public FactorizedExport.Replacement twoFactors(int r, double[] a, double[] s, double[] b) {
        double[] first = new double[in * r];
        double[] second = new double[r * out];
        if (diagonal(s, r)) {
            for (int k = 0; k < r; k++) {
                double root = Math.sqrt(Math.abs(s[k * r + k]));
                double sign = Math.signum(s[k * r + k]);
                for (int i = 0; i < in; i++) {
                    first[i * r + k] = a[i * r + k] * root;
                }
                for (int j = 0; j < out; j++) {
                    second[k * out + j] = sign * root * b[k * out + j];
                }
            }
        } else {
            System.arraycopy(a, 0, first, 0, first.length);
            for (int k = 0; k < r; k++) {
                for (int j = 0; j < out; j++) {
                    double v = 0;
                    for (int l = 0; l < r; l++) {
                        v += s[k * r + l] * b[l * out + j];
                    }
                    second[k * out + j] = v;
                }
            }
        }
        return twoFactors(r, first, second);
    }

    /** As {@link #twoFactors(int, double[], double[])}, from factors in single precision. */
    public FactorizedExport.Replacement twoFactors(int r, float[] first, float[] second) {
        double[] a = new double[first.length];
        double[] b = new double[second.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = first[i];
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = second[i];
        }
        return twoFactors(r, a, b);
    }

    /**
     * W ≈ first·second (first in × r, second r × out, row-major) as two layers: for a dense layer two MatMuls (or
     * MatMul then Gemm with the bias), for a conv r filters of the original kernel, then a 1×1 conv, for a recurrent
     * node a MatMul to r features, then the node with second as its W (directions, gates·hidden, r).
     */
    public FactorizedExport.Replacement twoFactors(int r, double[] first, double[] second) {
        if (recurrent) {
            return new FactorizedExport.Replacement(nodeIndex, layer.node(), floats(first), new long[] {in, r},
                    floats(transpose(second, r, out)), recurrentDims(r));
        }
        if (conv) {
            return new FactorizedExport.Replacement(nodeIndex, layer.node(), floats(transpose(first, in, r)),
                    filterDims(r, weightDims), floats(transpose(second, r, out)), pointwiseDims(out, r, weightDims));
        }
        return new FactorizedExport.Replacement(nodeIndex, layer.node(), floats(first), new long[] {in, r},
                floats(second), new long[] {r, out});
    }

    /** A conv kernel's dims with {@code r} output channels: r filters of the original's input channels and size. */
    public static long[] filterDims(long r, long[] kernel) {
        long[] dims = kernel.clone();
        dims[0] = r;
        return dims;
    }

    /** A 1×1 (or, for a 1-D conv, size-1) kernel of the same spatial rank as {@code kernel}: out × in × 1 × …. */
    public static long[] pointwiseDims(long out, long in, long[] kernel) {
        long[] dims = new long[kernel.length];
        java.util.Arrays.fill(dims, 1);
        dims[0] = out;
        dims[1] = in;
        return dims;
    }

    /** The trained core read back from the training graph's S weight, in dense orientation (r × r). */
    public double[] coreFromWeight(float[] stored, int r) {
        double[] s = new double[r * r];
        for (int i = 0; i < r * r; i++) {
            s[i] = stored[i];
        }
        return conv ? transpose(s, r, r) : s;
    }

    /** W (in × out) written back in the layer's own layout and name, alpha taken out again. */
    public TensorProto denseWeight(double[] w) {
        float[] stored = new float[w.length];
        if (conv || recurrent) {
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    stored[o * in + i] = (float) w[i * out + o];
                }
            }
        } else {
            int d1 = Math.toIntExact(weightDims[1]);
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < out; j++) {
                    float v = (float) (w[i * out + j] / alpha);
                    if (transposed) {
                        stored[j * d1 + i] = v;
                    } else {
                        stored[i * d1 + j] = v;
                    }
                }
            }
        }
        return Tensors.floatTensor(layer.weight(), stored, weightDims);
    }

    /** A recurrent node's W at input width r: (directions, gates·hidden, r). */
    private long[] recurrentDims(int r) {
        return new long[] {weightDims[0], weightDims[1], r};
    }

    private static boolean diagonal(double[] s, int r) {
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                if (i != j && s[i * r + j] != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    public static double[] transpose(double[] m, int rows, int cols) {
        double[] t = new double[m.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = m[i * cols + j];
            }
        }
        return t;
    }

    public static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
