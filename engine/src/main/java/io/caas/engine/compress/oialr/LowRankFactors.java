package io.caas.engine.compress.oialr;

import io.caas.engine.compress.CompactSvd;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

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
        CompactSvd svd = CompactSvd.of(DMatrixRMaj.wrap(in, out, w));
        return new LowRankFactors(in, out, svd.u(), svd.diag(), transpose(svd.v()));
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
        CompactSvd svd = CompactSvd.of(s);
        DMatrixRMaj na = new DMatrixRMaj(in, rank);
        CommonOps_DDRM.mult(a, svd.u(), na);
        DMatrixRMaj nb = new DMatrixRMaj(rank, out);
        CommonOps_DDRM.multTransA(svd.v(), b, nb);
        a = na;
        b = nb;
        s = svd.diag();
        return svd.sigma().clone();
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
}
