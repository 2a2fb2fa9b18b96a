package io.caas.engine.compress;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Compact SVD M = U·diag(σ)·Vᵀ in double precision, σ descending, so that keeping the first r terms gives the
 * best rank-r approximation (Eckart-Young): what truncated SVD, HOSVD, TT-SVD and OIALR's re-orthogonalisation
 * all build on.
 *
 * @param u     rows × k, k = min(rows, cols)
 * @param sigma k singular values, descending
 * @param v     cols × k (not transposed)
 */
public record CompactSvd(DMatrixRMaj u, double[] sigma, DMatrixRMaj v) {

    /** Decomposes {@code m}, which is left as it was. */
    public static CompactSvd of(DMatrixRMaj m) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(m.numRows, m.numCols, true, true, true);
        if (!svd.decompose(m.copy())) {
            throw new IllegalStateException("SVD did not converge for a " + m.numRows + "x" + m.numCols + " matrix");
        }
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        int k = Math.min(m.numRows, m.numCols);
        double[] sigma = new double[k];
        for (int i = 0; i < k; i++) {
            sigma[i] = w.get(i, i);
        }
        return new CompactSvd(leftColumns(u, k), sigma, leftColumns(v, k));
    }

    public int fullRank() {
        return sigma.length;
    }

    /** Smallest r whose singular values hold at least {@code energy} of Σσ² (at least 1). */
    public int rankForEnergy(double energy) {
        return rankForEnergy(sigma, energy);
    }

    /** As {@link #rankForEnergy(double)}, for singular values kept apart from their decomposition. */
    public static int rankForEnergy(double[] sigma, double energy) {
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
    public double energyAt(int r) {
        return energyAt(sigma, r);
    }

    /** As {@link #energyAt(int)}, for singular values kept apart from their decomposition. */
    public static double energyAt(double[] sigma, int r) {
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

    /** diag(σ), k × k. */
    public DMatrixRMaj diag() {
        DMatrixRMaj d = new DMatrixRMaj(sigma.length, sigma.length);
        for (int i = 0; i < sigma.length; i++) {
            d.set(i, i, sigma[i]);
        }
        return d;
    }

    private static DMatrixRMaj leftColumns(DMatrixRMaj m, int k) {
        if (m.numCols == k) {
            return m;
        }
        DMatrixRMaj out = new DMatrixRMaj(m.numRows, k);
        CommonOps_DDRM.extract(m, 0, m.numRows, 0, k, out, 0, 0);
        return out;
    }
}
