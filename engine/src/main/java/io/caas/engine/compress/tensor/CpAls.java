package io.caas.engine.compress.tensor;

import io.caas.engine.compress.tensor.ConvStage.Geometry;
import java.util.List;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Rank-R CP: W[o,i,h,w] ≈ Σ_r A[o,r]·B[i,r]·C[h,r]·D[w,r], fitted by alternating least squares (Kolda and Bader
 * 2009, section 3.4): each factor in turn is the least-squares solution with the others fixed, an R×R system.
 * Exported as a 1×1 conv (in → R), a depthwise kh×1 and a depthwise 1×kw conv (group R) that split the original
 * strides, pads and dilations by axis, and a 1×1 conv (R → out) with the bias: R·(in + kh + kw + out) parameters.
 * Ranks are [R].
 */
final class CpAls implements KernelDecomposition {

    /** Stop once an ALS sweep improves the relative error by less than this. */
    private static final double TOLERANCE = 1e-7;

    private final int maxIterations;

    CpAls(int maxIterations) {
        this.maxIterations = maxIterations;
    }

    @Override
    public int rankCount() {
        return 1;
    }

    @Override
    public String rankMeaning() {
        return "[R]";
    }

    static long parameters(KernelShape k, int rank) {
        return (long) rank * (k.in() + k.kh() + k.kw() + k.out());
    }

    /** The smallest rank whose factors hold at least as many parameters as the kernel. */
    static int breakEvenRank(KernelShape k) {
        return (int) Math.max(1, (k.parameters() + k.in() + k.kh() + k.kw() + k.out() - 1)
                / (k.in() + k.kh() + k.kw() + k.out()));
    }

    /** The largest rank within {@code ratio} of the kernel's parameters (at least 1). */
    static int rankForRatio(KernelShape k, double ratio) {
        return Math.max(1, (int) Math.floor(ratio * k.parameters() / (k.in() + k.kh() + k.kw() + k.out())));
    }

    @Override
    public Factorization fit(Kernel k, RankTarget target) {
        if (target instanceof RankTarget.Ratio r) {
            return fitRank(k, rankForRatio(k.shape(), r.fraction()));
        }
        if (target instanceof RankTarget.Explicit x) {
            return fitRank(k, x.ranks()[0]);
        }
        return smallestRankFor(k, ((RankTarget.Energy) target).fraction());
    }

    /**
     * CP has no spectrum to read a rank from, so the rank is searched: bisection over [1, break-even], assuming the
     * fit improves with the rank (ALS from the same start nearly always does). Returns the break-even fit when
     * nothing smaller reaches the energy, which the caller then leaves dense.
     */
    private Factorization smallestRankFor(Kernel k, double energy) {
        double allowed = Math.sqrt(Math.max(0, 1 - energy));
        int lo = 1;
        int hi = breakEvenRank(k.shape());
        Factorization best = null;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            Factorization f = fitRank(k, mid);
            if (f.relativeError() <= allowed) {
                hi = mid;
                best = f;
            } else {
                lo = mid + 1;
            }
        }
        return best != null && best.ranks()[0] == lo ? best : fitRank(k, lo);
    }

    Factorization fitRank(Kernel k, int rank) {
        int s = k.spatial();
        Matrix x0 = k.outUnfolding(); // out × (in·kh·kw)
        SplittableRandom random = new SplittableRandom(rank);
        Matrix a = Matrix.zeros(k.out(), rank);
        Matrix b = leadingOrRandom(k.inUnfolding(), rank, random);
        Matrix c = gaussian(k.kh(), rank, random);
        Matrix d = gaussian(k.kw(), rank, random);
        double norm2 = k.squaredNorm();
        double previous = Double.MAX_VALUE;
        for (int it = 0; it < Math.max(1, maxIterations); it++) {
            a = solve(x0.times(khatriRao(b, c, d)), hadamard(gram(b), gram(c), gram(d)));
            Matrix t = x0.transposeTimes(a); // (in·kh·kw) × R: the kernel contracted with A over out
            b = solve(contract(t, k, 1, null, c, d), hadamard(gram(a), gram(c), gram(d)));
            c = solve(contract(t, k, 2, b, null, d), hadamard(gram(a), gram(b), gram(d)));
            Matrix md = contract(t, k, 3, b, c, null);
            d = solve(md, hadamard(gram(a), gram(b), gram(c)));
            double inner = 0;
            for (int q = 0; q < md.data().length; q++) {
                inner += md.data()[q] * d.data()[q];
            }
            double approx2 = sum(hadamard(hadamard(gram(a), gram(b), gram(c)), gram(d), null));
            double error = Math.sqrt(Math.max(0, norm2 - 2 * inner + approx2) / Math.max(norm2, Double.MIN_NORMAL));
            balance(a, b, c, d);
            if (Thread.currentThread().isInterrupted() || previous - error < TOLERANCE) {
                break;
            }
            previous = error;
        }
        Matrix approx = a.times(khatriRao(b, c, d).transpose());
        Kernel fitted = new Kernel(k.out(), k.in(), k.kh(), k.kw(), approx.data());
        List<ConvStage> stages = List.of(
                ConvStage.of(b.transpose(), new long[] {rank, k.in(), 1, 1}, 1, Geometry.POINTWISE),
                ConvStage.of(c.transpose(), new long[] {rank, 1, k.kh(), 1}, rank, Geometry.VERTICAL),
                ConvStage.of(d.transpose(), new long[] {rank, 1, 1, k.kw()}, rank, Geometry.HORIZONTAL),
                ConvStage.of(a, new long[] {k.out(), rank, 1, 1}, 1, Geometry.POINTWISE));
        return new Factorization(new int[] {rank}, k.relativeError(fitted), stages);
    }

    /** Rows (i, h, w) in the kernel's order, column r: B[i,r]·C[h,r]·D[w,r]. */
    private static Matrix khatriRao(Matrix b, Matrix c, Matrix d) {
        int rank = b.cols();
        Matrix out = Matrix.zeros(b.rows() * c.rows() * d.rows(), rank);
        int row = 0;
        for (int i = 0; i < b.rows(); i++) {
            for (int h = 0; h < c.rows(); h++) {
                for (int w = 0; w < d.rows(); w++, row++) {
                    for (int r = 0; r < rank; r++) {
                        out.set(row, r, b.get(i, r) * c.get(h, r) * d.get(w, r));
                    }
                }
            }
        }
        return out;
    }

    /**
     * MTTKRP for mode 1 (in), 2 (kh) or 3 (kw) from T = X_(out)ᵀ·A: sums T[(i,h,w), r] times the two other
     * factors (the null one is the mode being solved for).
     */
    private static Matrix contract(Matrix t, Kernel k, int mode, Matrix b, Matrix c, Matrix d) {
        int rank = t.cols();
        int size = mode == 1 ? k.in() : mode == 2 ? k.kh() : k.kw();
        Matrix out = Matrix.zeros(size, rank);
        int row = 0;
        for (int i = 0; i < k.in(); i++) {
            for (int h = 0; h < k.kh(); h++) {
                for (int w = 0; w < k.kw(); w++, row++) {
                    int target = mode == 1 ? i : mode == 2 ? h : w;
                    for (int r = 0; r < rank; r++) {
                        double v = t.get(row, r);
                        if (mode != 1) {
                            v *= b.get(i, r);
                        }
                        if (mode != 2) {
                            v *= c.get(h, r);
                        }
                        if (mode != 3) {
                            v *= d.get(w, r);
                        }
                        out.data()[target * rank + r] += v;
                    }
                }
            }
        }
        return out;
    }

    /**
     * M·V⁻¹ for the symmetric Gram product V, by Cholesky (V·Xᵀ = Mᵀ); where V is singular (a rank above what the
     * data needs) the pseudo-inverse keeps the update defined. Cholesky first because the SVD behind the
     * pseudo-inverse made ALS several times slower at ranks above 100.
     */
    private static Matrix solve(Matrix m, Matrix v) {
        LinearSolverDense<DMatrixRMaj> cholesky = LinearSolverFactory_DDRM.symmPosDef(v.rows());
        DMatrixRMaj mt = CommonOps_DDRM.transpose(m.ejml(), null);
        DMatrixRMaj xt = new DMatrixRMaj(v.rows(), m.rows());
        if (cholesky.setA(v.ejml().copy())) {
            cholesky.solve(mt, xt);
            boolean finite = true;
            for (double x : xt.data) {
                finite &= Double.isFinite(x);
            }
            if (finite) {
                return Matrix.of(CommonOps_DDRM.transpose(xt, null));
            }
        }
        DMatrixRMaj inverse = new DMatrixRMaj(v.rows(), v.cols());
        CommonOps_DDRM.pinv(v.ejml(), inverse);
        return m.times(Matrix.of(inverse));
    }

    private static Matrix gram(Matrix f) {
        return f.transposeTimes(f);
    }

    private static Matrix hadamard(Matrix x, Matrix y, Matrix z) {
        Matrix out = Matrix.zeros(x.rows(), x.cols());
        for (int q = 0; q < out.data().length; q++) {
            out.data()[q] = x.data()[q] * y.data()[q] * (z == null ? 1 : z.data()[q]);
        }
        return out;
    }

    private static double sum(Matrix m) {
        double s = 0;
        for (double v : m.data()) {
            s += v;
        }
        return s;
    }

    /**
     * Gives each component's four columns the same norm. The model is unchanged; the scale otherwise drifts
     * between factors over the sweeps, and in float32 the exported convolutions would lose precision.
     */
    private static void balance(Matrix... factors) {
        int rank = factors[0].cols();
        for (int r = 0; r < rank; r++) {
            double[] norms = new double[factors.length];
            double product = 1;
            for (int f = 0; f < factors.length; f++) {
                double n = 0;
                for (int row = 0; row < factors[f].rows(); row++) {
                    n += factors[f].get(row, r) * factors[f].get(row, r);
                }
                norms[f] = Math.sqrt(n);
                product *= norms[f];
            }
            if (product == 0) {
                continue;
            }
            double target = Math.pow(product, 1.0 / factors.length);
            for (int f = 0; f < factors.length; f++) {
                double scale = target / norms[f];
                for (int row = 0; row < factors[f].rows(); row++) {
                    factors[f].set(row, r, factors[f].get(row, r) * scale);
                }
            }
        }
    }

    /** The unfolding's leading left singular vectors, then seeded Gaussian columns beyond its rank. */
    private static Matrix leadingOrRandom(Matrix unfolding, int rank, SplittableRandom random) {
        Svd svd = Svd.of(unfolding);
        Matrix out = gaussian(unfolding.rows(), rank, random);
        int known = Math.min(rank, svd.fullRank());
        for (int row = 0; row < unfolding.rows(); row++) {
            for (int r = 0; r < known; r++) {
                out.set(row, r, svd.u().get(row, r));
            }
        }
        return out;
    }

    private static Matrix gaussian(int rows, int cols, SplittableRandom random) {
        Matrix m = Matrix.zeros(rows, cols);
        for (int q = 0; q < m.data().length; q++) {
            // Box-Muller
            double u1 = 1 - random.nextDouble();
            m.data()[q] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random.nextDouble());
        }
        return m;
    }
}
