package io.caas.engine.compress.svd;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The singular value decomposition of one weight matrix, in double precision, singular values descending.
 * Truncating it at rank r gives the best rank-r approximation in Frobenius norm (Eckart-Young).
 */
final class LowRank {

    private final int rows;
    private final int cols;
    private final DMatrixRMaj u;
    private final double[] sigma;
    private final DMatrixRMaj v;

    /** A row-major rows × cols matrix. */
    LowRank(double[] matrix, int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        DMatrixRMaj m = DMatrixRMaj.wrap(rows, cols, matrix.clone());
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
        if (!svd.decompose(m)) {
            throw new IllegalStateException("SVD did not converge for a " + rows + "x" + cols + " matrix");
        }
        DMatrixRMaj w = svd.getW(null);
        this.u = svd.getU(null, false);
        this.v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        int k = Math.min(rows, cols);
        this.sigma = new double[k];
        for (int i = 0; i < k; i++) {
            sigma[i] = w.get(i, i);
        }
    }

    int fullRank() {
        return sigma.length;
    }

    double[] singularValues() {
        return sigma.clone();
    }

    /** Smallest r whose singular values hold at least {@code energy} of the total Σσ². */
    int rankForEnergy(double energy) {
        double total = 0;
        for (double s : sigma) {
            total += s * s;
        }
        if (total == 0) {
            return 1;
        }
        double kept = 0;
        for (int r = 1; r <= sigma.length; r++) {
            kept += sigma[r - 1] * sigma[r - 1];
            // the relative slack absorbs rounding in the sum so that energy 1.0 stops at the last non-zero σ
            if (kept >= energy * total * (1 - 1e-12)) {
                return r;
            }
        }
        return sigma.length;
    }

    /** Fraction of Σσ² the first r singular values hold. */
    double energyAt(int r) {
        double total = 0;
        double kept = 0;
        for (int i = 0; i < sigma.length; i++) {
            total += sigma[i] * sigma[i];
            if (i < r) {
                kept += sigma[i] * sigma[i];
            }
        }
        return total == 0 ? 1 : kept / total;
    }

    /**
     * Left factor U_r·√Σ_r (rows × r), row-major, scaled by {@code scale}. √Σ goes to both sides so that
     * neither factor carries all the magnitude, which keeps float32 rounding balanced.
     */
    float[] left(int r, double scale) {
        float[] out = new float[rows * r];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < r; k++) {
                out[i * r + k] = (float) (u.get(i, k) * Math.sqrt(sigma[k]) * scale);
            }
        }
        return out;
    }

    /** Right factor √Σ_r·V_rᵀ (r × cols), row-major. */
    float[] right(int r) {
        float[] out = new float[r * cols];
        for (int k = 0; k < r; k++) {
            double s = Math.sqrt(sigma[k]);
            for (int j = 0; j < cols; j++) {
                out[k * cols + j] = (float) (s * v.get(j, k));
            }
        }
        return out;
    }
}
