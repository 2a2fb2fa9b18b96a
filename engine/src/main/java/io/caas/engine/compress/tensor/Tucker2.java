package io.caas.engine.compress.tensor;

import io.caas.engine.compress.tensor.ConvStage.Geometry;
import java.util.List;

/**
 * Tucker-2 on the channel modes: W[o,i,h,w] ≈ Σ_{a,b} U_out[o,a]·G[a,b,h,w]·U_in[i,b]. Exported as a 1×1 conv
 * (in → r_in), the core as a conv with the original kernel geometry (r_in → r_out), and a 1×1 conv (r_out → out)
 * with the bias. Factors start from HOSVD (leading left singular vectors of the two channel unfoldings) and are
 * refined by HOOI sweeps, each of which cannot increase the error (Kolda and Bader 2009, section 4.2).
 * Ranks are [r_in, r_out].
 */
final class Tucker2 implements KernelDecomposition {

    private final int hooiIterations;

    Tucker2(int hooiIterations) {
        this.hooiIterations = hooiIterations;
    }

    @Override
    public int rankCount() {
        return 2;
    }

    @Override
    public String rankMeaning() {
        return "[r_in, r_out]";
    }

    static int fullIn(KernelShape k) {
        return Math.min(k.in(), k.out() * k.spatial());
    }

    static int fullOut(KernelShape k) {
        return Math.min(k.out(), k.in() * k.spatial());
    }

    static long parameters(KernelShape k, int rIn, int rOut) {
        return (long) k.in() * rIn + (long) rIn * rOut * k.spatial() + (long) rOut * k.out();
    }

    @Override
    public Factorization fit(Kernel k, RankTarget target) {
        Matrix w0 = k.outUnfolding();
        Matrix w1 = k.inUnfolding();
        Svd outSvd = Svd.of(w0);
        Svd inSvd = Svd.of(w1);
        int[] ranks;
        if (target instanceof RankTarget.Energy e) {
            // HOSVD's squared error is at most the sum of what both truncations discard, so each may drop half
            double perMode = 1 - (1 - e.fraction()) / 2;
            ranks = new int[] {inSvd.rankForEnergy(perMode), outSvd.rankForEnergy(perMode)};
        } else if (target instanceof RankTarget.Ratio r) {
            ranks = ranksForRatio(k.shape(), r.fraction());
        } else {
            int[] x = ((RankTarget.Explicit) target).ranks();
            ranks = new int[] {Math.min(x[0], fullIn(k.shape())), Math.min(x[1], fullOut(k.shape()))};
        }
        ranks = consistent(k.shape(), ranks);
        int rIn = ranks[0];
        int rOut = ranks[1];
        Matrix uIn = inSvd.u().leftColumns(rIn);
        Matrix uOut = outSvd.u().leftColumns(rOut);
        int s = k.spatial();
        for (int it = 0; it < hooiIterations; it++) {
            // U_out from W ×_in U_inᵀ, then U_in from W ×_out U_outᵀ
            Matrix projectedIn = uIn.transposeTimes(w1).swapLeadingModes(k.out(), s); // out × (r_in·s)
            uOut = Svd.of(projectedIn).u().leftColumns(rOut);
            Matrix projectedOut = uOut.transposeTimes(w0).swapLeadingModes(k.in(), s); // in × (r_out·s)
            uIn = Svd.of(projectedOut).u().leftColumns(rIn);
        }
        // core G[a][b][hw] = Σ U_out[o,a] U_in[i,b] W[o,i,hw], as r_out × (r_in·s)
        Matrix core = uIn.transposeTimes(uOut.transposeTimes(w0).swapLeadingModes(k.in(), s))
                .swapLeadingModes(rOut, s);
        Kernel approx = reconstruct(k, uIn, core, uOut);
        List<ConvStage> stages = List.of(
                ConvStage.of(uIn.transpose(), new long[] {rIn, k.in(), 1, 1}, 1, Geometry.POINTWISE),
                ConvStage.of(core, new long[] {rOut, rIn, k.kh(), k.kw()}, 1, Geometry.ORIGINAL),
                ConvStage.of(uOut, new long[] {k.out(), rOut, 1, 1}, 1, Geometry.POINTWISE));
        return new Factorization(new int[] {rIn, rOut}, k.relativeError(approx), stages);
    }

    /** The ranks a fit uses: at least 1, and neither above what the other allows. */
    static int[] consistent(KernelShape k, int[] ranks) {
        int rIn = Math.max(1, ranks[0]);
        int rOut = Math.max(1, ranks[1]);
        // the core's unfoldings bound each rank by the other times the kernel size; more would be zero columns
        rOut = Math.min(rOut, rIn * k.spatial());
        rIn = Math.min(rIn, rOut * k.spatial());
        return new int[] {rIn, rOut};
    }

    /** What a fit at this ratio holds, from the shape alone. */
    static long parametersAtRatio(KernelShape k, double ratio) {
        int[] r = consistent(k, ranksForRatio(k, ratio));
        return parameters(k, r[0], r[1]);
    }

    /** Both ranks the same fraction ρ of their full rank, ρ the largest that keeps the parameters within budget. */
    static int[] ranksForRatio(KernelShape k, double ratio) {
        double budget = ratio * k.parameters();
        double lo = 0;
        double hi = 1;
        for (int step = 0; step < 40; step++) {
            double mid = (lo + hi) / 2;
            int[] r = scaled(k, mid);
            if (parameters(k, r[0], r[1]) <= budget) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return scaled(k, lo);
    }

    private static int[] scaled(KernelShape k, double rho) {
        return new int[] {Math.max(1, (int) Math.floor(rho * fullIn(k))), Math.max(1, (int) Math.floor(rho * fullOut(k)))};
    }

    private static Kernel reconstruct(Kernel k, Matrix uIn, Matrix core, Matrix uOut) {
        int s = k.spatial();
        Matrix outSide = uOut.times(core);                                  // out × (r_in·s)
        Matrix inSide = uIn.times(outSide.swapLeadingModes(uIn.cols(), s)); // in × (out·s)
        return new Kernel(k.out(), k.in(), k.kh(), k.kw(), inSide.swapLeadingModes(k.out(), s).data());
    }
}
