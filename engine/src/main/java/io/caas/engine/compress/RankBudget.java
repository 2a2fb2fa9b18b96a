package io.caas.engine.compress;

import java.util.Arrays;
import java.util.List;

/**
 * Ranks for several low-rank layers under one parameter budget.
 *
 * <p>The budget picks a common relative cut-off τ: every layer keeps its singular values σᵢ ≥ τ·σ₁ (at least
 * {@code minRank}, at most its cap), and τ is the lowest value whose ranks fit the budget. This is the same rule as
 * OIALR's σ cut-off, with τ found from the budget instead of given, so a layer whose spectrum falls off fast gives up
 * more rank than one whose spectrum is flat. Ranking by raw σ or by energy per parameter would instead let the
 * layers with the largest weights (or the fewest parameters per rank) take the whole budget, since layers are not on
 * one scale.
 *
 * <p>Whitened spectra (the layer's output on calibration data, SVD-LLM) are allocated differently
 * ({@link #allocateByRelativeError}): there σ₁ carries the inputs' mean, so a shared τ·σ₁ cut-off concentrates the
 * cuts in a few layers; the same relative output error in every layer spreads them.
 *
 * <p>A layer costs what its export costs: r·(m + n) as two factors, or m·n where that is not smaller (then it is
 * written back dense).
 */
public final class RankBudget {

    /** The parameter name under which methods take a whole-model budget. */
    public static final String TARGET_PARAMETERS = "targetParameters";

    private RankBudget() {
    }

    /**
     * One layer.
     *
     * @param sigma singular values, descending (only their ratios to σ₁ matter)
     * @param rows  m
     * @param cols  n
     * @param cap   the most rank it may keep (its full rank, or its current rank when ranks may only fall)
     */
    public record Layer(double[] sigma, long rows, long cols, int cap) {

        public Layer {
            if (cap < 1 || cap > sigma.length) {
                throw new IllegalArgumentException("cap " + cap + " outside 1.." + sigma.length);
            }
        }

        /** Parameters of the exported layer at this rank. */
        public long cost(int rank) {
            return Math.min((long) rank * (rows + cols), rows * cols);
        }

        int rankAt(double tau, int minRank) {
            int kept = 0;
            while (kept < cap && sigma[kept] > 0 && sigma[kept] >= tau * sigma[0]) {
                kept++;
            }
            return Math.max(kept, Math.min(minRank, cap));
        }
    }

    /**
     * The least a set of layers can cost, from their shapes alone (for validating a request before any SVD):
     * each at {@code minRank}, or dense where that is not smaller.
     */
    public static long floorOfShapes(List<long[]> matrixShapes, int minRank) {
        long total = 0;
        for (long[] s : matrixShapes) {
            total += Math.min(minRank * (s[0] + s[1]), s[0] * s[1]);
        }
        return total;
    }

    /** Parameters of these layers at these ranks. */
    public static long cost(List<Layer> layers, int[] ranks) {
        long total = 0;
        for (int i = 0; i < layers.size(); i++) {
            total += layers.get(i).cost(ranks[i]);
        }
        return total;
    }

    /** The least the layers can cost: every one at {@code minRank} (or its cap, if lower). */
    public static long floor(List<Layer> layers, int minRank) {
        return cost(layers, ranksAt(layers, Double.POSITIVE_INFINITY, minRank));
    }

    /**
     * The ranks at the lowest common cut-off that fits {@code budget}; every layer at {@code minRank} when even
     * that does not fit (check with {@link #floor}).
     */
    public static int[] allocate(List<Layer> layers, long budget, int minRank) {
        double[] taus = layers.stream()
                .flatMapToDouble(l -> Arrays.stream(l.sigma(), 0, l.cap()).map(s -> l.sigma()[0] > 0 ? s / l.sigma()[0] : 0))
                .filter(t -> t > 0).distinct().sorted().toArray();
        // cost falls as τ rises: find the lowest τ that fits
        int lo = 0;
        int hi = taus.length - 1;
        int best = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cost(layers, ranksAt(layers, taus[mid], minRank)) <= budget) {
                best = mid;
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        return best < 0 ? ranksAt(layers, Double.POSITIVE_INFINITY, minRank) : ranksAt(layers, taus[best], minRank);
    }

    /**
     * Ranks that fit {@code budget} with every layer at the same relative error: each keeps the fewest directions
     * whose dropped energy Σ_{i>r} σᵢ² / Σ σᵢ² is at most ε, ε the lowest that fits. Meant for whitened spectra,
     * where the dropped energy is the error the layer's output takes on the calibration data, so ε is that error
     * relative to the output's energy.
     */
    public static int[] allocateByRelativeError(List<Layer> layers, long budget, int minRank) {
        double lo = 0;
        double hi = 1;
        int[] best = ranksAtError(layers, 1, minRank);
        if (cost(layers, best) > budget) {
            return best;
        }
        for (int it = 0; it < 60; it++) {
            double mid = (lo + hi) / 2;
            int[] r = ranksAtError(layers, mid, minRank);
            if (cost(layers, r) <= budget) {
                best = r;
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return best;
    }

    private static int[] ranksAtError(List<Layer> layers, double error, int minRank) {
        int[] ranks = new int[layers.size()];
        for (int i = 0; i < ranks.length; i++) {
            Layer l = layers.get(i);
            double total = 0;
            for (double s : l.sigma()) {
                total += s * s;
            }
            double dropped = 0;
            int r = l.sigma().length;
            while (r > 0 && total > 0 && (dropped + l.sigma()[r - 1] * l.sigma()[r - 1]) / total <= error) {
                dropped += l.sigma()[r - 1] * l.sigma()[r - 1];
                r--;
            }
            ranks[i] = Math.max(Math.min(r, l.cap()), Math.min(minRank, l.cap()));
        }
        return ranks;
    }

    private static int[] ranksAt(List<Layer> layers, double tau, int minRank) {
        int[] ranks = new int[layers.size()];
        for (int i = 0; i < ranks.length; i++) {
            ranks[i] = layers.get(i).rankAt(tau, minRank);
        }
        return ranks;
    }
}
