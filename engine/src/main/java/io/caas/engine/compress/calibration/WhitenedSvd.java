package io.caas.engine.compress.calibration;

import io.caas.engine.compress.CompactSvd;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.decomposition.TriangularSolver_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

/**
 * Truncated SVD that keeps what matters for the data a layer sees, not for the weight alone (SVD-LLM, Wang et al.
 * 2024, arXiv 2403.07378). With X the layer's inputs (one row per sample, or per position and patch for a conv)
 * and y = x·W, the output error of a replacement W' is ‖X·(W − W')‖_F. Writing XᵀX = L·Lᵀ (Cholesky), that error is
 * ‖Lᵀ·(W − W')‖_F, so the SVD of Lᵀ·W truncated at rank r gives the W' = L⁻ᵀ·(Lᵀ·W)_r of least output error, and
 * the error it leaves is exactly the dropped singular values of Lᵀ·W: Σ_{i>r} σᵢ². Plain SVD is the case XᵀX = I.
 *
 * <p>When the layer's inputs come from a model whose earlier layers were already replaced (X' instead of X), the
 * weight to approximate is first moved to the least-squares answer to those inputs, T = (X'ᵀX')⁻¹·X'ᵀX·W, which
 * minimises ‖X'·T − X·W‖ (with damping, the ridge answer that stays nearest W); then ‖X'·W' − X·W‖² = ‖X'·(W' − T)‖² + a constant, and T is truncated whitened by X'ᵀX'.
 * This is the closed-form correction that stops errors compounding from layer to layer.
 *
 * <p>XᵀX is singular wherever an input never varies (image borders, dead units) or samples are fewer than inputs,
 * so δ·I is added first, δ a fraction of its mean diagonal; that also bounds how far T may move in directions the
 * samples barely cover.
 */
public final class WhitenedSvd {

    /**
     * δ as a fraction of the mean diagonal of XᵀX: GPTQ's dampening (Frantar et al. 2023, "percdamp" 0.01), which
     * solves the same regularised least-squares problem on calibration inputs.
     */
    public static final double DAMPING = 0.01;

    private final int in;
    private final int out;
    private final DMatrixRMaj lowerInverse;
    private final CompactSvd svd;

    private WhitenedSvd(int in, int out, DMatrixRMaj lowerInverse, CompactSvd svd) {
        this.in = in;
        this.out = out;
        this.lowerInverse = lowerInverse;
        this.svd = svd;
    }

    /**
     * @param weight  W, in × out, row-major, y = x·W
     * @param inputs  the statistics of the layer's inputs ({@link LayerInputs#width()} = in)
     * @param damping δ as a fraction of the mean diagonal of the input Gram matrix ({@link #DAMPING}; 0 only where
     *                it is known to be positive definite)
     */
    public static WhitenedSvd of(double[] weight, int in, int out, LayerInputs inputs, double damping) {
        if (inputs.width() != in || weight.length != in * out) {
            throw new IllegalArgumentException("a " + in + " x " + out + " weight with " + inputs.width()
                    + "-wide inputs");
        }
        DMatrixRMaj gram = DMatrixRMaj.wrap(in, in, inputs.gram().clone());
        double mean = 0;
        for (int i = 0; i < in; i++) {
            mean += gram.get(i, i);
        }
        mean /= in;
        if (!(mean > 0)) {
            // the layer never saw a non-zero input: nothing to weight by, so plain SVD
            gram = CommonOps_DDRM.identity(in);
            mean = 1;
        }
        for (int i = 0; i < in; i++) {
            gram.add(i, i, damping * mean);
        }
        DMatrixRMaj w = DMatrixRMaj.wrap(in, out, weight.clone());
        DMatrixRMaj lower = cholesky(gram);
        DMatrixRMaj lowerInverse = lower.copy();
        TriangularSolver_DDRM.invertLower(lowerInverse.data, in);
        zeroUpper(lowerInverse);
        DMatrixRMaj target = w;
        if (inputs.cross() != null) {
            // T = W + (X'ᵀX' + δI)⁻¹·X'ᵀ(X − X')·W = W + L⁻ᵀ·L⁻¹·(C − G')·W: the damping pulls T towards W, not
            // towards 0, so inputs that did not change leave the weight exactly as it was
            DMatrixRMaj change = DMatrixRMaj.wrap(in, in, inputs.cross().clone());
            CommonOps_DDRM.subtractEquals(change, DMatrixRMaj.wrap(in, in, inputs.gram()));
            DMatrixRMaj dw = new DMatrixRMaj(in, out);
            CommonOps_DDRM.mult(change, w, dw);
            DMatrixRMaj half = new DMatrixRMaj(in, out);
            CommonOps_DDRM.mult(lowerInverse, dw, half);
            target = new DMatrixRMaj(in, out);
            CommonOps_DDRM.multTransA(lowerInverse, half, target);
            CommonOps_DDRM.addEquals(target, w);
        }
        DMatrixRMaj whitened = new DMatrixRMaj(in, out);
        CommonOps_DDRM.multTransA(lower, target, whitened);
        return new WhitenedSvd(in, out, lowerInverse, CompactSvd.of(whitened));
    }

    private static DMatrixRMaj cholesky(DMatrixRMaj gram) {
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(gram.numRows, true);
        if (!chol.decompose(gram.copy())) {
            throw new IllegalStateException("the " + gram.numRows + "-wide input Gram matrix is not positive definite"
                    + " even after damping");
        }
        DMatrixRMaj lower = chol.getT(null);
        zeroUpper(lower);
        return lower;
    }

    private static void zeroUpper(DMatrixRMaj m) {
        for (int i = 0; i < m.numRows; i++) {
            for (int j = i + 1; j < m.numCols; j++) {
                m.set(i, j, 0);
            }
        }
    }

    /** Singular values of Lᵀ·T, descending: σᵢ² is the output error that dropping term i adds. */
    public double[] singularValues() {
        return svd.sigma().clone();
    }

    /** The input-side factor L⁻ᵀ·U_r·√Σ_r (in × r), row-major. */
    public double[] first(int r) {
        DMatrixRMaj scaled = new DMatrixRMaj(in, r);
        DMatrixRMaj u = svd.u();
        double[] sigma = svd.sigma();
        for (int i = 0; i < in; i++) {
            for (int k = 0; k < r; k++) {
                scaled.set(i, k, u.get(i, k) * Math.sqrt(sigma[k]));
            }
        }
        DMatrixRMaj first = new DMatrixRMaj(in, r);
        CommonOps_DDRM.multTransA(lowerInverse, scaled, first);
        return first.data;
    }

    /** The output-side factor √Σ_r·V_rᵀ (r × out), row-major. */
    public double[] second(int r) {
        double[] second = new double[r * out];
        DMatrixRMaj v = svd.v();
        double[] sigma = svd.sigma();
        for (int k = 0; k < r; k++) {
            double s = Math.sqrt(sigma[k]);
            for (int j = 0; j < out; j++) {
                second[k * out + j] = s * v.get(j, k);
            }
        }
        return second;
    }
}
