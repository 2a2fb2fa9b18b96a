package io.caas.engine.compress.tensor;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

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
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(m.rows(), m.cols(), true, true, true);
        if (!svd.decompose(m.ejml().copy())) {
            throw new IllegalStateException("SVD did not converge for a " + m.rows() + "x" + m.cols() + " matrix");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj vt = svd.getV(null, true);
        SingularOps_DDRM.descendingOrder(u, false, w, vt, true);
        int k = Math.min(m.rows(), m.cols());
        double[] sigma = new double[k];
        for (int i = 0; i < k; i++) {
            sigma[i] = w.get(i, i);
        }
        Matrix uk = Matrix.of(u).leftColumns(k);
        Matrix vk = new Matrix(k, m.cols(), java.util.Arrays.copyOf(vt.data, k * m.cols()));
        return new Svd(uk, sigma, vk);
    }

    int fullRank() {
        return sigma.length;
    }

    /** Smallest r whose singular values hold at least {@code energy} of Σσ² (at least 1). */
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
            // slack for rounding in the sum, so that energy 1 stops at the last non-zero σ
            if (kept >= energy * total * (1 - 1e-12)) {
                return r;
            }
        }
        return sigma.length;
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
