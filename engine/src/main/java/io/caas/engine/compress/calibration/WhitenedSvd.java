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
    /** Lᵀ·T, the weight as the layer's whitened inputs see it (in × out). */
    private final DMatrixRMaj whitened;
    private final CompactSvd svd;

    private WhitenedSvd(int in, int out, DMatrixRMaj lowerInverse, DMatrixRMaj whitened, CompactSvd svd) {
        this.in = in;
        this.out = out;
        this.lowerInverse = lowerInverse;
        this.whitened = whitened;
        this.svd = svd;
    }

    /**
     * @param weight  W, in × out, row-major, y = x·W
     * @param inputs  the statistics of the layer's inputs ({@link LayerInputs#width()} = in)
     * @param damping δ as a fraction of the mean diagonal of the input Gram matrix ({@link #DAMPING}; 0 only where
     *                it is known to be positive definite)
     */
    public static WhitenedSvd of(double[] weight, int in, int out, LayerInputs inputs, double damping) {
        return of(weight, in, out, inputs, null, damping);
    }

    /**
     * Weighted on both sides: by the layer's inputs, and by how much each direction of its output moves the model's
     * output, G ({@link Calibration#outputGrams}, out × out). With G = R·Rᵀ the model's output error is about
     * ‖Lᵀ·(T − W')·R‖_F, least at the W' = L⁻ᵀ·P_r·Lᵀ·T where P_r projects onto the leading r left singular vectors
     * of Lᵀ·T·R; its error is again the dropped singular values. Only the subspace kept depends on G, and W' never
     * multiplies by R⁻¹, so directions to which the output is blind (the mean a LayerNorm removes) cost nothing and
     * amplify nothing. A null G is the one-sided case.
     *
     * @param outputGram G, out × out, row-major, or null
     */
    public static WhitenedSvd of(double[] weight, int in, int out, LayerInputs inputs, double[] outputGram,
                                 double damping) {
        if (outputGram != null && outputGram.length != (long) out * out) {
            throw new IllegalArgumentException("an output Gram matrix of " + outputGram.length + " values for "
                    + out + " outputs");
        }
        if (inputs.width() != in || weight.length != in * out) {
            throw new IllegalArgumentException("a " + in + " x " + out + " weight with " + inputs.width()
                    + "-wide inputs");
        }
        DMatrixRMaj gram = DMatrixRMaj.wrap(in, in, inputs.gram().clone());
        if (!(meanDiagonal(gram) > 0)) {
            // the layer never saw a non-zero input: nothing to weight by, so plain SVD
            gram = CommonOps_DDRM.identity(in);
        }
        damped(gram, damping);
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
        DMatrixRMaj weighted = whitened;
        if (outputGram != null) {
            weighted = new DMatrixRMaj(in, out);
            CommonOps_DDRM.mult(whitened, cholesky(damped(DMatrixRMaj.wrap(out, out, outputGram.clone()), damping)),
                    weighted);
        }
        return new WhitenedSvd(in, out, lowerInverse, whitened, CompactSvd.of(weighted));
    }

    /** {@code m} + δ·I in place, δ the fraction {@code damping} of its mean diagonal. */
    private static DMatrixRMaj damped(DMatrixRMaj m, double damping) {
        double delta = damping * meanDiagonal(m);
        for (int i = 0; i < m.numRows; i++) {
            m.add(i, i, delta);
        }
        return m;
    }

    private static double meanDiagonal(DMatrixRMaj m) {
        double sum = 0;
        for (int i = 0; i < m.numRows; i++) {
            sum += m.get(i, i);
        }
        return sum / m.numRows;
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

    /**
     * The input-side factor L⁻ᵀ·U_r (in × r), each column scaled by the square root of its row's norm in
     * {@link #second}, so that both factors carry the term's size alike (√σ each without output weighting).
     */
    public double[] first(int r) {
        double[] norms = rowNorms(projected(r));
        DMatrixRMaj scaled = new DMatrixRMaj(in, r);
        DMatrixRMaj u = svd.u();
        for (int i = 0; i < in; i++) {
            for (int k = 0; k < r; k++) {
                scaled.set(i, k, u.get(i, k) * Math.sqrt(norms[k]));
            }
        }
        DMatrixRMaj first = new DMatrixRMaj(in, r);
        CommonOps_DDRM.multTransA(lowerInverse, scaled, first);
        return first.data;
    }

    /** The output-side factor U_rᵀ·Lᵀ·T (r × out), each row divided by the square root of its norm. */
    public double[] second(int r) {
        DMatrixRMaj projected = projected(r);
        double[] norms = rowNorms(projected);
        double[] second = new double[r * out];
        for (int k = 0; k < r; k++) {
            double s = norms[k] > 0 ? 1 / Math.sqrt(norms[k]) : 1;
            for (int j = 0; j < out; j++) {
                second[k * out + j] = s * projected.get(k, j);
            }
        }
        return second;
    }

    /** U_rᵀ·Lᵀ·T: the whitened weight's terms along the kept directions (r × out). */
    private DMatrixRMaj projected(int r) {
        DMatrixRMaj ur = CommonOps_DDRM.extract(svd.u(), 0, in, 0, r);
        DMatrixRMaj projected = new DMatrixRMaj(r, out);
        CommonOps_DDRM.multTransA(ur, whitened, projected);
        return projected;
    }

    private static double[] rowNorms(DMatrixRMaj m) {
        double[] norms = new double[m.numRows];
        for (int k = 0; k < m.numRows; k++) {
            double sum = 0;
            for (int j = 0; j < m.numCols; j++) {
                sum += m.get(k, j) * m.get(k, j);
            }
            norms[k] = Math.sqrt(sum);
        }
        return norms;
    }
}
