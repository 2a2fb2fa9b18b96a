package io.caas.engine.compress.svd;

import io.caas.engine.compress.CompactSvd;
import org.ejml.data.DMatrixRMaj;

/**
 * The singular value decomposition of one weight matrix, in double precision, singular values descending.
 * Truncating it at rank r gives the best rank-r approximation in Frobenius norm (Eckart-Young).
 */
final class LowRank {

    private final int rows;
    private final int cols;
    private final CompactSvd svd;

    /** A row-major rows × cols matrix. */
    LowRank(double[] matrix, int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.svd = CompactSvd.of(DMatrixRMaj.wrap(rows, cols, matrix));
    }

    double[] singularValues() {
        return svd.sigma().clone();
    }

    /**
     * Left factor U_r·√Σ_r (rows × r), row-major, scaled by {@code scale}. √Σ goes to both sides so that
     * neither factor carries all the magnitude, which keeps float32 rounding balanced.
     */
    float[] left(int r, double scale) {
        DMatrixRMaj u = svd.u();
        double[] sigma = svd.sigma();
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
        DMatrixRMaj v = svd.v();
        double[] sigma = svd.sigma();
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
