package io.caas.engine.compress.tensor;

import io.caas.engine.compress.CompactSvd;

/**
 * Compact SVD M = U·diag(σ)·Vᵀ with σ descending. Truncating it gives the best approximation of each rank
 * (Eckart-Young), which is what HOSVD and TT-SVD rely on.
 *
 * @param u     rows × k, k = min(rows, cols)
 * @param sigma k singular values, descending
 * @param vt    k × cols
 */
record Svd(Matrix u, double[] sigma, Matrix vt) {

    static Svd of(Matrix m) {
        CompactSvd svd = CompactSvd.of(m.ejml());
        return new Svd(Matrix.of(svd.u()), svd.sigma(), Matrix.of(svd.v()).transpose());
    }

    int fullRank() {
        return sigma.length;
    }

    /** Smallest r whose singular values hold at least {@code energy} of Σσ² (at least 1). */
    int rankForEnergy(double energy) {
        return CompactSvd.rankForEnergy(sigma, energy);
    }

    /** diag(σ_r)·Vᵀ_r: the part a TT sweep carries on to the next core. */
    Matrix sigmaVt(int r) {
        Matrix out = Matrix.zeros(r, vt.cols());
        for (int k = 0; k < r; k++) {
            for (int j = 0; j < vt.cols(); j++) {
                out.set(k, j, sigma[k] * vt.get(k, j));
            }
        }
        return out;
    }
}
