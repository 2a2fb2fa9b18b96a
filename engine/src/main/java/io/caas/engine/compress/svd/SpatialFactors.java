package io.caas.engine.compress.svd;

import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.LayerMatrix;
import io.caas.engine.compress.calibration.LayerInputs;
import io.caas.engine.compress.calibration.WhitenedSvd;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;

/**
 * A conv kernel W (out, in, kh, kw) as the (in·kh) × (out·kw) matrix M[(c,i), (o,j)] = W[o,c,i,j], whose rank-r
 * truncation is a kh×1 conv of r filters followed by a 1×kw conv (spatial SVD, Jaderberg et al. 2014): the best
 * such pair for the kernel in Frobenius norm, or, whitened, for the layer's output on calibration data.
 */
record SpatialFactors(int in, int out, int kh, int kw, int nodeIndex, String name) {

    /** An ungrouped 2-D conv with explicit (or no) padding and a kernel at least 2 wide both ways. */
    static boolean applies(WeightedLayer layer, NodeProto node) {
        if (layer.kind() != LayerKind.CONV || layer.weightShape().size() != 4 || layer.weightShape().get(2) < 2
                || layer.weightShape().get(3) < 2) {
            return false;
        }
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals("auto_pad") && !a.getS().toStringUtf8().equals("NOTSET")
                    && !a.getS().toStringUtf8().isEmpty()) {
                return false;
            }
            if (a.getName().equals("group") && a.getI() != 1) {
                return false;
            }
        }
        return true;
    }

    /** The plain spatial truncation of a conv's kernel. */
    static LayerTruncation of(WeightedLayer layer, int nodeIndex, TensorProto weight) {
        SpatialFactors f = layout(layer, nodeIndex, weight);
        LowRank svd = new LowRank(kernelMatrix(weight), f.rows(), f.cols());
        return new LayerTruncation(f.rows(), f.cols(), svd.singularValues(), false, "energy (spatial form)",
                r -> f.laidOut(r, svd.left(r, 1), svd.right(r)));
    }

    /**
     * The spatial truncation whitened by the moments of the conv's kh×1 column patches ({@link #columns}): the SVD
     * of its kernel matrix weighted by what each column of the input carries.
     */
    static LayerTruncation whitened(WeightedLayer layer, int nodeIndex, TensorProto weight, LayerInputs patches,
                                    String how) {
        SpatialFactors f = layout(layer, nodeIndex, weight);
        WhitenedSvd svd = WhitenedSvd.of(kernelMatrix(weight), f.rows(), f.cols(),
                columns(patches, f.in(), f.kh(), f.kw()), WhitenedSvd.DAMPING);
        return new LayerTruncation(f.rows(), f.cols(), svd.singularValues(), true,
                "output energy (spatial form), " + how,
                r -> f.laidOut(r, LayerMatrix.floats(svd.first(r)), LayerMatrix.floats(svd.second(r))));
    }

    private static SpatialFactors layout(WeightedLayer layer, int nodeIndex, TensorProto weight) {
        return new SpatialFactors(Math.toIntExact(weight.getDims(1)), Math.toIntExact(weight.getDims(0)),
                Math.toIntExact(weight.getDims(2)), Math.toIntExact(weight.getDims(3)), nodeIndex, layer.node());
    }

    /** The kernel (out, in, kh, kw) as M[(c,i), (o,j)], (in·kh) × (out·kw), row-major. */
    static double[] kernelMatrix(TensorProto weight) {
        float[] w = Tensors.toFloats(weight);
        int out = Math.toIntExact(weight.getDims(0));
        int in = Math.toIntExact(weight.getDims(1));
        int kh = Math.toIntExact(weight.getDims(2));
        int kw = Math.toIntExact(weight.getDims(3));
        int cols = out * kw;
        double[] m = new double[in * kh * cols];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < in; c++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        m[(c * kh + i) * cols + o * kw + j] = w[((o * in + c) * kh + i) * kw + j];
                    }
                }
            }
        }
        return m;
    }

    /**
     * The moments of a conv's input patches (rows (c, i, j)) reduced to those of its kh×1 column patches (rows
     * (c, i)): the diagonal blocks j = j' summed. The spatial form's output error is ‖Lᵀ·ΔM‖² exactly when patch
     * columns are uncorrelated, and this keeps the rest of each block's weight.
     */
    static LayerInputs columns(LayerInputs patches, int in, int kh, int kw) {
        int width = in * kh;
        int full = in * kh * kw;
        double[] gram = reduce(patches.gram(), in, kh, kw, width, full);
        double[] cross = patches.cross() == null ? null : reduce(patches.cross(), in, kh, kw, width, full);
        return new LayerInputs(width, gram, cross, patches.rows() * kw);
    }

    private static double[] reduce(double[] m, int in, int kh, int kw, int width, int full) {
        double[] out = new double[width * width];
        for (int a = 0; a < width; a++) {
            for (int b = 0; b < width; b++) {
                double sum = 0;
                for (int j = 0; j < kw; j++) {
                    sum += m[(a * kw + j) * full + b * kw + j];
                }
                out[a * width + b] = sum;
            }
        }
        return out;
    }

    int rows() {
        return in * kh;
    }

    int cols() {
        return out * kw;
    }

    /** left (in·kh) × r and right r × (out·kw) as the kh×1 and 1×kw convs' weights. */
    private FactorizedExport.Replacement laidOut(int r, float[] left, float[] right) {
        float[] vertical = new float[r * in * kh]; // (r, in, kh, 1)
        for (int k = 0; k < r; k++) {
            for (int ci = 0; ci < in * kh; ci++) {
                vertical[k * in * kh + ci] = left[ci * r + k];
            }
        }
        float[] horizontal = new float[out * r * kw]; // (out, r, 1, kw)
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < r; k++) {
                for (int j = 0; j < kw; j++) {
                    horizontal[(o * r + k) * kw + j] = right[k * out * kw + o * kw + j];
                }
            }
        }
        return new FactorizedExport.Replacement(nodeIndex, name, vertical, new long[] {r, in, kh, 1}, null, null,
                horizontal, new long[] {out, r, 1, kw}, true);
    }
}
