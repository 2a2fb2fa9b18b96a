package io.caas.engine.compress.tensor;

import io.caas.engine.compress.tensor.ConvStage.Geometry;
import java.util.List;

/**
 * Tensor train over the modes in | kh | kw | out (Oseledets 2011, TT-SVD): W[o,i,h,w] ≈
 * Σ G1[i,a]·G2[a,h,b]·G3[b,w,c]·G4[c,o], each core from a truncated SVD of what the previous ones leave.
 * The cores are exported as they are: a 1×1 conv (in → r1), a kh×1 conv (r1 → r2) and a 1×kw conv (r2 → r3)
 * that split the original strides, pads and dilations by axis, and a 1×1 conv (r3 → out) with the bias:
 * in·r1 + r1·kh·r2 + r2·kw·r3 + r3·out parameters, no dense kernel rebuilt. Ranks are [r1, r2, r3].
 */
final class TensorTrain implements KernelDecomposition {

    @Override
    public int rankCount() {
        return 3;
    }

    @Override
    public String rankMeaning() {
        return "[r1, r2, r3]";
    }

    static long parameters(KernelShape k, int[] r) {
        return (long) k.in() * r[0] + (long) r[0] * k.kh() * r[1] + (long) r[1] * k.kw() * r[2] + (long) r[2] * k.out();
    }

    /** The largest ranks each cut can have: the sides of the unfolding it splits. */
    static int[] fullRanks(KernelShape k) {
        int r1 = Math.min(k.in(), k.spatial() * k.out());
        int r2 = Math.min(r1 * k.kh(), k.kw() * k.out());
        int r3 = Math.min(r2 * k.kw(), k.out());
        return new int[] {r1, r2, r3};
    }

    @Override
    public Factorization fit(Kernel k, RankTarget target) {
        int[] full = fullRanks(k.shape());
        int[] requested = target instanceof RankTarget.Ratio r ? ranksForRatio(k.shape(), r.fraction())
                : target instanceof RankTarget.Explicit x ? x.ranks().clone() : null;
        // TT-SVD's error is bounded by the root of the summed squared cut errors, so each of the three cuts may
        // discard a third of the allowed squared error
        double discardable = target instanceof RankTarget.Energy e
                ? Math.max(0, 1 - e.fraction()) * k.squaredNorm() / 3 : 0;
        Matrix rest = firstUnfolding(k); // in × (kh·kw·out)
        int[] ranks = new int[3];
        Matrix[] cores = new Matrix[3];
        int[] rowsPerCut = {k.in(), k.kh(), k.kw()};
        int previous = 1;
        for (int cut = 0; cut < 3; cut++) {
            Matrix m = rest.reshape(previous * rowsPerCut[cut], rest.data().length / (previous * rowsPerCut[cut]));
            Svd svd = Svd.of(m);
            int r = requested != null ? requested[cut] : rankForTail(svd, discardable);
            r = Math.max(1, Math.min(Math.min(r, svd.fullRank()), full[cut]));
            ranks[cut] = r;
            cores[cut] = svd.u().leftColumns(r);
            rest = svd.sigmaVt(r);
            previous = r;
        }
        Matrix last = rest; // r3 × out
        List<ConvStage> stages = List.of(
                ConvStage.of(cores[0].transpose(), new long[] {ranks[0], k.in(), 1, 1}, 1, Geometry.POINTWISE),
                ConvStage.of(cores[1].transpose(), new long[] {ranks[1], ranks[0], k.kh(), 1}, 1, Geometry.VERTICAL),
                ConvStage.of(cores[2].transpose(), new long[] {ranks[2], ranks[1], 1, k.kw()}, 1, Geometry.HORIZONTAL),
                ConvStage.of(last.transpose(), new long[] {k.out(), ranks[2], 1, 1}, 1, Geometry.POINTWISE));
        return new Factorization(ranks, k.relativeError(reconstruct(k, cores, last)), stages);
    }

    /** in × (kh·kw·out), entry [i][(h·kw + w)·out + o] = W[o,i,h,w]. */
    private static Matrix firstUnfolding(Kernel k) {
        Matrix m = Matrix.zeros(k.in(), k.spatial() * k.out());
        for (int o = 0; o < k.out(); o++) {
            for (int i = 0; i < k.in(); i++) {
                for (int hw = 0; hw < k.spatial(); hw++) {
                    m.set(i, hw * k.out() + o, k.values()[(o * k.in() + i) * k.spatial() + hw]);
                }
            }
        }
        return m;
    }

    /** The smallest rank whose discarded singular values hold at most {@code discardable} squared norm. */
    private static int rankForTail(Svd svd, double discardable) {
        double[] sigma = svd.sigma();
        double tail = 0;
        int r = sigma.length;
        while (r > 1 && tail + sigma[r - 1] * sigma[r - 1] <= discardable) {
            tail += sigma[r - 1] * sigma[r - 1];
            r--;
        }
        return r;
    }

    /**
     * What a fit at this ratio holds, from the shape alone: the ratio's ranks are within each cut's sides, so the
     * fit keeps them as they are.
     */
    static long parametersAtRatio(KernelShape k, double ratio) {
        return parameters(k, ranksForRatio(k, ratio));
    }

    /** The three ranks the same fraction ρ of their full values, ρ the largest within the parameter budget. */
    static int[] ranksForRatio(KernelShape k, double ratio) {
        double budget = ratio * k.parameters();
        double lo = 0;
        double hi = 1;
        for (int step = 0; step < 40; step++) {
            double mid = (lo + hi) / 2;
            if (parameters(k, scaled(k, mid)) <= budget) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return scaled(k, lo);
    }

    private static int[] scaled(KernelShape k, double rho) {
        int[] full = fullRanks(k);
        int r1 = Math.max(1, (int) Math.floor(rho * full[0]));
        int r2 = Math.max(1, Math.min((int) Math.floor(rho * full[1]), Math.min(r1 * k.kh(), k.kw() * k.out())));
        int r3 = Math.max(1, Math.min((int) Math.floor(rho * full[2]), Math.min(r2 * k.kw(), k.out())));
        return new int[] {r1, r2, r3};
    }

    private static Kernel reconstruct(Kernel k, Matrix[] cores, Matrix last) {
        // contract right to left: G3·G4 → (r2·kw) × out, then G2·that → (r1·kh) × (kw·out), then G1·that
        Matrix right = cores[2].times(last);
        right = cores[1].times(right.reshape(cores[1].cols(), k.kw() * k.out()));
        Matrix full = cores[0].times(right.reshape(cores[0].cols(), k.spatial() * k.out())); // in × (hw·out)
        double[] w = new double[k.values().length];
        for (int o = 0; o < k.out(); o++) {
            for (int i = 0; i < k.in(); i++) {
                for (int hw = 0; hw < k.spatial(); hw++) {
                    w[(o * k.in() + i) * k.spatial() + hw] = full.get(i, hw * k.out() + o);
                }
            }
        }
        return new Kernel(k.out(), k.in(), k.kh(), k.kw(), w);
    }
}
