package io.caas.engine.compress.hadamard;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Rank-d CP (canonical polyadic) decomposition of a bilinear weight W[k,i,j] ≈ Σ_r P[r,k]·U[i,r]·V[j,r] by
 * alternating least squares, in double precision with EJML. This is exactly the low-rank bilinear form of Kim et
 * al. (arXiv 1610.04325): z = Pᵀ(Uᵀx ∘ Vᵀy), since xᵀW_k y = Σ_r P[r,k]·(Uᵀx)_r·(Vᵀy)_r.
 *
 * <p>Each ALS step solves one factor with the other two fixed: the normal equations have the Hadamard product of
 * the other two Gram matrices as their d×d system, and the right-hand side is the tensor contracted with the
 * other two factors (computed slice by slice, W_k·V and W_kᵀ·U). The start is the leading singular vectors of the
 * tensor's unfoldings (random columns beyond their rank); at d ≥ {@link #exactRank} it is the exact
 * slice-by-slice decomposition instead, so the full rank reproduces W.
 */
public final class CpDecomposition {

    /** Relative error change below which ALS stops early. */
    private static final double TOLERANCE = 1e-9;

    private CpDecomposition() {
    }

    /**
     * The factors, row-major: U (in1 × d), V (in2 × d), P (d × out).
     *
     * @param relativeError ‖W − Ŵ‖ / ‖W‖ after the last sweep
     * @param sweeps        ALS sweeps run
     */
    public record Factors(int rank, double[] u, double[] v, double[] p, double relativeError, int sweeps) {
    }

    /**
     * The rank at which an exact decomposition always exists: one term per (k, row of the smaller input side),
     * out · min(in1, in2).
     */
    public static int exactRank(int out, int in1, int in2) {
        return Math.multiplyExact(out, Math.min(in1, in2));
    }

    /**
     * @param w      the weight, [out, in1, in2] row-major
     * @param sweeps most ALS sweeps (each updates P, U and V once)
     */
    public static Factors fit(float[] w, int out, int in1, int in2, int rank, int sweeps, long seed) {
        DMatrixRMaj[] slices = new DMatrixRMaj[out];
        double norm = 0;
        for (int k = 0; k < out; k++) {
            slices[k] = new DMatrixRMaj(in1, in2);
            for (int e = 0; e < in1 * in2; e++) {
                double v = w[k * in1 * in2 + e];
                slices[k].data[e] = v;
                norm += v * v;
            }
        }
        norm = Math.sqrt(norm);
        if (rank >= exactRank(out, in1, in2)) {
            DMatrixRMaj[] exact = exactStart(slices, in1, in2, rank);
            return factors(rank, exact[0], exact[1], exact[2], relativeError(slices, exact[0], exact[1], exact[2],
                    norm), 0);
        }
        SplittableRandom random = new SplittableRandom(seed);
        DMatrixRMaj u = leadingVectors(unfoldFirst(slices, in1, in2), rank, random);
        DMatrixRMaj v = leadingVectors(unfoldSecond(slices, in1, in2), rank, random);
        DMatrixRMaj p = null; // out × d here (P transposed), so that all three factors are "rows × d"
        double error = Double.NaN;
        int done = 0;
        while (done < Math.max(1, sweeps)) {
            p = solve(contractForP(slices, u, v), gram(u), gram(v));
            u = solve(contractForU(slices, v, p), gram(p), gram(v));
            v = solve(contractForV(slices, u, p), gram(p), gram(u));
            done++;
            double next = relativeError(slices, u, v, p, norm);
            boolean converged = Math.abs(error - next) < TOLERANCE * Math.max(1, next);
            error = next;
            if (converged) {
                break;
            }
        }
        return factors(rank, u, v, p, error, done);
    }

    private static Factors factors(int rank, DMatrixRMaj u, DMatrixRMaj v, DMatrixRMaj pByOut, double error,
                                   int sweeps) {
        return new Factors(rank, u.data, v.data, CommonOps_DDRM.transpose(pByOut, null).data, error, sweeps);
    }

    /** W[k,i,:] = Σ over terms (k, i): U = e_i, V = W[k,i,:], P = e_k; columns past out·in1 are zero. */
    private static DMatrixRMaj[] exactStart(DMatrixRMaj[] slices, int in1, int in2, int rank) {
        int out = slices.length;
        boolean rowsFirst = in1 <= in2;
        int small = Math.min(in1, in2);
        DMatrixRMaj u = new DMatrixRMaj(in1, rank);
        DMatrixRMaj v = new DMatrixRMaj(in2, rank);
        DMatrixRMaj p = new DMatrixRMaj(out, rank);
        int r = 0;
        for (int k = 0; k < out; k++) {
            for (int a = 0; a < small; a++, r++) {
                p.set(k, r, 1);
                if (rowsFirst) {
                    u.set(a, r, 1);
                    for (int j = 0; j < in2; j++) {
                        v.set(j, r, slices[k].get(a, j));
                    }
                } else {
                    v.set(a, r, 1);
                    for (int i = 0; i < in1; i++) {
                        u.set(i, r, slices[k].get(i, a));
                    }
                }
            }
        }
        return new DMatrixRMaj[] {u, v, p};
    }

    /** in1 × (out·in2): the slices side by side. */
    private static DMatrixRMaj unfoldFirst(DMatrixRMaj[] slices, int in1, int in2) {
        DMatrixRMaj m = new DMatrixRMaj(in1, slices.length * in2);
        for (int k = 0; k < slices.length; k++) {
            CommonOps_DDRM.insert(slices[k], m, 0, k * in2);
        }
        return m;
    }

    /** in2 × (out·in1): the transposed slices side by side. */
    private static DMatrixRMaj unfoldSecond(DMatrixRMaj[] slices, int in1, int in2) {
        DMatrixRMaj m = new DMatrixRMaj(in2, slices.length * in1);
        for (int k = 0; k < slices.length; k++) {
            CommonOps_DDRM.insert(CommonOps_DDRM.transpose(slices[k], null), m, 0, k * in1);
        }
        return m;
    }

    /** The d leading left singular vectors, scaled by their singular values; Gaussian columns past the rank. */
    private static DMatrixRMaj leadingVectors(DMatrixRMaj m, int rank, SplittableRandom random) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(m.numRows, m.numCols, true, false, true);
        if (!svd.decompose(m.copy())) {
            throw new IllegalStateException("SVD did not converge for a " + m.numRows + "x" + m.numCols + " unfolding");
        }
        DMatrixRMaj uFull = svd.getU(null, false);
        double[] sigma = svd.getSingularValues();
        Integer[] order = new Integer[sigma.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(sigma[b], sigma[a]));
        double scale = sigma.length == 0 ? 1 : Math.sqrt(Math.max(sigma[order[0]], 1e-12));
        DMatrixRMaj out = new DMatrixRMaj(m.numRows, rank);
        for (int r = 0; r < rank; r++) {
            boolean fromSvd = r < order.length && r < m.numRows && sigma[order[r]] > 1e-12 * sigma[order[0]];
            for (int i = 0; i < m.numRows; i++) {
                out.set(i, r, fromSvd ? uFull.get(i, order[r]) * scale : gaussian(random) * scale / m.numRows);
            }
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static DMatrixRMaj gram(DMatrixRMaj a) {
        DMatrixRMaj g = new DMatrixRMaj(a.numCols, a.numCols);
        CommonOps_DDRM.multTransA(a, a, g);
        return g;
    }

    /** X = M · (G1 ∘ G2)⁺: least squares for one factor, through the pseudo-inverse so rank-deficient steps hold. */
    private static DMatrixRMaj solve(DMatrixRMaj m, DMatrixRMaj g1, DMatrixRMaj g2) {
        DMatrixRMaj g = new DMatrixRMaj(g1.numRows, g1.numCols);
        CommonOps_DDRM.elementMult(g1, g2, g);
        DMatrixRMaj inv = new DMatrixRMaj(g.numRows, g.numCols);
        CommonOps_DDRM.pinv(g, inv);
        DMatrixRMaj x = new DMatrixRMaj(m.numRows, g.numCols);
        CommonOps_DDRM.mult(m, inv, x);
        return x;
    }

    /** M_U[i,r] = Σ_k P[k,r]·(W_k·V)[i,r]. */
    private static DMatrixRMaj contractForU(DMatrixRMaj[] slices, DMatrixRMaj v, DMatrixRMaj p) {
        int rank = v.numCols;
        DMatrixRMaj m = new DMatrixRMaj(slices[0].numRows, rank);
        DMatrixRMaj t = new DMatrixRMaj(slices[0].numRows, rank);
        for (int k = 0; k < slices.length; k++) {
            CommonOps_DDRM.mult(slices[k], v, t);
            addScaledColumns(m, t, p, k);
        }
        return m;
    }

    /** M_V[j,r] = Σ_k P[k,r]·(W_kᵀ·U)[j,r]. */
    private static DMatrixRMaj contractForV(DMatrixRMaj[] slices, DMatrixRMaj u, DMatrixRMaj p) {
        int rank = u.numCols;
        DMatrixRMaj m = new DMatrixRMaj(slices[0].numCols, rank);
        DMatrixRMaj t = new DMatrixRMaj(slices[0].numCols, rank);
        for (int k = 0; k < slices.length; k++) {
            CommonOps_DDRM.multTransA(slices[k], u, t);
            addScaledColumns(m, t, p, k);
        }
        return m;
    }

    /** M_P[k,r] = Σ_i U[i,r]·(W_k·V)[i,r]. */
    private static DMatrixRMaj contractForP(DMatrixRMaj[] slices, DMatrixRMaj u, DMatrixRMaj v) {
        int rank = u.numCols;
        DMatrixRMaj m = new DMatrixRMaj(slices.length, rank);
        DMatrixRMaj t = new DMatrixRMaj(slices[0].numRows, rank);
        for (int k = 0; k < slices.length; k++) {
            CommonOps_DDRM.mult(slices[k], v, t);
            for (int r = 0; r < rank; r++) {
                double s = 0;
                for (int i = 0; i < t.numRows; i++) {
                    s += u.get(i, r) * t.get(i, r);
                }
                m.set(k, r, s);
            }
        }
        return m;
    }

    private static void addScaledColumns(DMatrixRMaj m, DMatrixRMaj t, DMatrixRMaj p, int k) {
        int rank = t.numCols;
        for (int i = 0; i < t.numRows; i++) {
            for (int r = 0; r < rank; r++) {
                m.data[i * rank + r] += p.get(k, r) * t.data[i * rank + r];
            }
        }
    }

    /** ‖W − Ŵ‖ / ‖W‖ with Ŵ_k = U·diag(P[k,:])·Vᵀ. */
    private static double relativeError(DMatrixRMaj[] slices, DMatrixRMaj u, DMatrixRMaj v, DMatrixRMaj p,
                                        double norm) {
        int rank = u.numCols;
        DMatrixRMaj scaled = new DMatrixRMaj(u.numRows, rank);
        DMatrixRMaj approx = new DMatrixRMaj(u.numRows, v.numRows);
        double sum = 0;
        for (int k = 0; k < slices.length; k++) {
            for (int i = 0; i < u.numRows; i++) {
                for (int r = 0; r < rank; r++) {
                    scaled.data[i * rank + r] = u.data[i * rank + r] * p.get(k, r);
                }
            }
            CommonOps_DDRM.multTransB(scaled, v, approx);
            for (int e = 0; e < approx.data.length; e++) {
                double d = slices[k].data[e] - approx.data[e];
                sum += d * d;
            }
        }
        return norm == 0 ? Math.sqrt(sum) : Math.sqrt(sum) / norm;
    }
}
