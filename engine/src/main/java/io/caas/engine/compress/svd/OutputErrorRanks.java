package io.caas.engine.compress.svd;

import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Ranks for a parameter budget weighted by how much of each layer's error reaches the model's output. A whitened
 * spectrum says what a cut costs at the layer's own output, but layers differ in how much of that survives to the
 * model's: in all-MiniLM-L6-v2 a unit of relative error in a feed-forward layer moves the output 10 to 100 times more
 * than the same in an attention projection, whose error passes a softmax. So each layer is cut alone at a probe
 * rank and the model's relative output error measured on calibration samples; that error over the layer's own is
 * its weight s. The ranks then keep the directions of most weighted error per parameter (s·σᵢ²/Σσ² over rows +
 * cols) within the budget, which minimises Σ s·ε(r) if the layers' output errors add, and are kept only where the
 * whole model then measures closer to the original than at the starting ranks (equal relative error in every
 * layer). One round: re-measuring the weights at the chosen ranks moved MiniLM's output error by under 2 % more.
 */
final class OutputErrorRanks {

    /** A layer alone is probed at its starting rank, or at this share of its break-even rank where that is lower. */
    static final double PROBE_SHARE = 0.7;

    /** The model's relative output error with each candidate model in place of the original, same samples. */
    @FunctionalInterface
    interface OutputErrors {
        double[] of(List<Supplier<ModelProto>> candidates) throws InterruptedException;
    }

    /**
     * @param ranks       per layer, its rank
     * @param weights     per layer, the model's relative output error per unit of the layer's own relative error
     * @param startError  the model's relative output error at the starting ranks
     * @param chosenError the same at the ranks returned (the starting ones where the weighted ranks measured worse)
     * @param samples     the samples the errors were measured on
     */
    record Choice(int[] ranks, double[] weights, double startError, double chosenError, int samples) {

        boolean weighted() {
            return chosenError < startError;
        }

        String note(int layer) {
            return String.format(Locale.ROOT, "its error reaches the output ×%.3g, measured alone", weights[layer]);
        }

        String summary() {
            return weighted()
                    ? String.format(Locale.ROOT, "ranks weighted by each layer's measured effect on the output: "
                    + "relative output error %.4g against %.4g with equal error in every layer, on %d samples",
                    chosenError, startError, samples)
                    : String.format(Locale.ROOT, "ranks at equal error in every layer: weighting them by each "
                    + "layer's measured effect on the output measured no closer (%.4g), on %d samples",
                    startError, samples);
        }
    }

    private OutputErrorRanks() {
    }

    /**
     * @param start  per layer, its rank at equal relative error (the fallback)
     * @param budget parameters the factorized layers may hold together
     */
    static Choice choose(ModelProto model, List<LayerTruncation> factors, int[] start, long budget,
                         OutputErrors measure, int samples, ProgressListener progress) throws InterruptedException {
        int n = factors.size();
        List<Supplier<ModelProto>> candidates = new ArrayList<>();
        int[] probe = new int[n];
        for (int l = 0; l < n; l++) {
            LayerTruncation f = factors.get(l);
            probe[l] = Math.max(1, Math.min(start[l], (int) (PROBE_SHARE * f.breakEven())));
            int at = l;
            candidates.add(() -> new FactorizedExport(model).apply(List.of(factors.get(at).replacement(probe[at]))));
        }
        candidates.add(() -> combined(model, factors, start));
        progress.progress(0, "measuring each of " + n + " layers' effect on the output on " + samples + " samples");
        double[] errors = measure.of(candidates);
        double[] weights = new double[n];
        for (int l = 0; l < n; l++) {
            double own = 1 - factors.get(l).energyAt(probe[l]);
            weights[l] = own > 1e-12 ? errors[l] / own : 0;
        }
        // a layer that dropped nothing at its probe gave no evidence that it is cheap to cut
        double most = Arrays.stream(weights).max().orElse(0);
        for (int l = 0; l < n; l++) {
            if (weights[l] == 0) {
                weights[l] = most;
            }
        }
        double startError = errors[n];
        int[] ranks = allocate(factors, weights, budget);
        double error = measure.of(List.of(() -> combined(model, factors, ranks)))[0];
        return error < startError ? new Choice(ranks, weights, startError, error, samples)
                : new Choice(start.clone(), weights, startError, startError, samples);
    }

    /**
     * Ranks within {@code budget} that keep the directions of most weighted error per parameter: direction i of
     * layer l weighs s_l·σᵢ²/Σσ² over its cost (rows + cols). Every layer keeps at least rank 1; one whose rank
     * would not shrink it costs (and is written back) dense.
     */
    static int[] allocate(List<LayerTruncation> factors, double[] weights, long budget) {
        List<RankBudget.Layer> layers = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (int l = 0; l < factors.size(); l++) {
            LayerTruncation f = factors.get(l);
            layers.add(new RankBudget.Layer(f.singularValues(), f.rows(), f.cols(), f.fullRank()));
            double total = total(f.singularValues());
            for (double s : f.singularValues()) {
                values.add(value(weights[l], s, total, f));
            }
        }
        double[] thresholds = values.stream().mapToDouble(Double::doubleValue).filter(v -> v > 0).distinct()
                .sorted().toArray();
        // cost falls as the threshold rises: the lowest that fits keeps the most
        int lo = 0;
        int hi = thresholds.length - 1;
        int[] best = ranksAbove(factors, weights, Double.POSITIVE_INFINITY);
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int[] r = ranksAbove(factors, weights, thresholds[mid]);
            if (RankBudget.cost(layers, r) <= budget) {
                best = r;
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        return best;
    }

    private static int[] ranksAbove(List<LayerTruncation> factors, double[] weights, double threshold) {
        int[] ranks = new int[factors.size()];
        for (int l = 0; l < ranks.length; l++) {
            LayerTruncation f = factors.get(l);
            double total = total(f.singularValues());
            int r = 0;
            while (r < f.fullRank() && value(weights[l], f.singularValues()[r], total, f) >= threshold) {
                r++;
            }
            ranks[l] = Math.max(1, r);
        }
        return ranks;
    }

    private static double value(double weight, double sigma, double total, LayerTruncation f) {
        return total > 0 ? weight * sigma * sigma / total / (f.rows() + f.cols()) : 0;
    }

    private static double total(double[] sigma) {
        double t = 0;
        for (double s : sigma) {
            t += s * s;
        }
        return t;
    }

    /** The model with every layer that shrinks at its rank replaced; the rest stay dense, as the budget counts them. */
    private static ModelProto combined(ModelProto model, List<LayerTruncation> factors, int[] ranks) {
        List<FactorizedExport.Replacement> all = new ArrayList<>();
        for (int l = 0; l < factors.size(); l++) {
            if (ranks[l] < factors.get(l).breakEven()) {
                all.add(factors.get(l).replacement(ranks[l]));
            }
        }
        return all.isEmpty() ? model : new FactorizedExport(model).apply(all);
    }
}
