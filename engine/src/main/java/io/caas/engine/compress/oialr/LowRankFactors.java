package io.caas.engine.compress.oialr;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * One layer in OIALR form, in double precision and "dense orientation": the layer maps a row vector x (1 × in) to
 * x·A·S·B with A (in × r) and B (r × out) the frozen orthonormal bases and S (r × r) the trained core. For a
 * convolution, in = in_channels·kh·kw and out = out_channels (the kernel reshaped to out × in·kh·kw, transposed).
 */
public final class LowRankFactors {

    private final int in;
    private final int out;
    private int rank;
    private DMatrixRMaj a;
    private DMatrixRMaj s;
    private DMatrixRMaj b;

    private LowRankFactors(int in, int out, DMatrixRMaj a, DMatrixRMaj s, DMatrixRMaj b) {
        this.in = in;
        this.out = out;
        this.rank = s.numRows;
        this.a = a;
        this.s = s;
        this.b = b;
    }

    /** Full-rank start: W (in × out, row-major) = U·Σ·Vᵀ, so A = U, S = diag(σ) (descending), B = Vᵀ. */
    public static LowRankFactors ofMatrix(double[] w, int in, int out) {
        Svd svd = Svd.of(DMatrixRMaj.wrap(in, out, w.clone()));
        return new LowRankFactors(in, out, svd.u, svd.diag(), transpose(svd.v));
    }

    /** Given factors, copied; for tests and for resuming. */
    public static LowRankFactors of(double[] a, double[] s, double[] b, int in, int out, int rank) {
        return new LowRankFactors(in, out, DMatrixRMaj.wrap(in, rank, a.clone()),
                DMatrixRMaj.wrap(rank, rank, s.clone()), DMatrixRMaj.wrap(rank, out, b.clone()));
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    public int rank() {
        return rank;
    }

    /** Row-major copies. */
    public double[] a() {
        return a.data.clone();
    }

    public double[] s() {
        return s.data.clone();
    }

    public double[] b() {
        return b.data.clone();
    }

    /** Replaces the core with its trained value (r × r, row-major). */
    public void setS(double[] trained) {
        if (trained.length != rank * rank) {
            throw new IllegalArgumentException("S must hold " + rank * rank + " values, got " + trained.length);
        }
        s = DMatrixRMaj.wrap(rank, rank, trained.clone());
    }

    /** The dense matrix A·S·B (in × out), row-major. */
    public double[] product() {
        DMatrixRMaj as = new DMatrixRMaj(in, rank);
        CommonOps_DDRM.mult(a, s, as);
        DMatrixRMaj w = new DMatrixRMaj(in, out);
        CommonOps_DDRM.mult(as, b, w);
        return w.data;
    }

    /**
     * The re-orthogonalisation step: S = Uσ·diag(σ)·Vσᵀ, then A ← A·Uσ, B ← Vσᵀ·B, S ← diag(σ). A·S·B is
     * unchanged (up to rounding) and the bases stay orthonormal, since Uσ and Vσ are orthogonal.
     *
     * @return the singular values of S, descending
     */
    public double[] reorthogonalize() {
        Svd svd = Svd.of(s.copy());
        DMatrixRMaj na = new DMatrixRMaj(in, rank);
        CommonOps_DDRM.mult(a, svd.u, na);
        DMatrixRMaj nb = new DMatrixRMaj(rank, out);
        CommonOps_DDRM.multTransA(svd.v, b, nb);
        a = na;
        b = nb;
        s = svd.diag();
        return svd.sigma.clone();
    }

    /** Keeps the first {@code k} directions (call after {@link #reorthogonalize}, so they are the largest σ). */
    public void truncate(int k) {
        if (k < 1 || k > rank) {
            throw new IllegalArgumentException("rank " + k + " outside 1.." + rank);
        }
        if (k == rank) {
            return;
        }
        DMatrixRMaj na = new DMatrixRMaj(in, k);
        CommonOps_DDRM.extract(a, 0, in, 0, k, na, 0, 0);
        DMatrixRMaj ns = new DMatrixRMaj(k, k);
        CommonOps_DDRM.extract(s, 0, k, 0, k, ns, 0, 0);
        DMatrixRMaj nb = new DMatrixRMaj(k, out);
        CommonOps_DDRM.extract(b, 0, k, 0, out, nb, 0, 0);
        a = na;
        s = ns;
        b = nb;
        rank = k;
    }

    /**
     * How many singular values to keep: those at or above {@code cutoff·max σ}, but never fewer than half the
     * current rank (rounded up: at most ⌊r/2⌋ go in one step) and never fewer than {@code minRank} (or the current
     * rank, if that is already lower).
     *
     * @param sigma singular values, descending
     */
    public static int keptRank(double[] sigma, double cutoff, int minRank) {
        int r = sigma.length;
        double max = r == 0 ? 0 : sigma[0];
        int above = 0;
        while (above < r && sigma[above] >= cutoff * max && sigma[above] > 0) {
            above++;
        }
        int k = Math.max(above, (r + 1) / 2);
        k = Math.max(k, Math.min(minRank, r));
        return Math.max(1, Math.min(k, r));
    }

    /** Parameters of the two-factor export at the current rank: r·(in + out). */
    public long factorizedParameters() {
        return (long) rank * (in + out);
    }

    private static DMatrixRMaj transpose(DMatrixRMaj m) {
        return CommonOps_DDRM.transpose(m, null);
    }

    /** A compact SVD with singular values in descending order. */
    private record Svd(DMatrixRMaj u, double[] sigma, DMatrixRMaj v) {

        static Svd of(DMatrixRMaj m) {
            SingularValueDecomposition_F64<DMatrixRMaj> svd =
                    DecompositionFactory_DDRM.svd(m.numRows, m.numCols, true, true, true);
            if (!svd.decompose(m)) {
                throw new IllegalStateException("SVD did not converge for a " + m.numRows + "x" + m.numCols
                        + " matrix");
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
            // compact: U is rows × k, V is cols × k
            DMatrixRMaj uk = new DMatrixRMaj(u.numRows, k);
            CommonOps_DDRM.extract(u, 0, u.numRows, 0, k, uk, 0, 0);
            DMatrixRMaj vk = new DMatrixRMaj(v.numRows, k);
            CommonOps_DDRM.extract(v, 0, v.numRows, 0, k, vk, 0, 0);
            return new Svd(uk, sigma, vk);
        }

        DMatrixRMaj diag() {
            DMatrixRMaj d = new DMatrixRMaj(sigma.length, sigma.length);
            for (int i = 0; i < sigma.length; i++) {
                d.set(i, i, sigma[i]);
            }
            return d;
        }
    }
}
