package io.caas.engine.compress.svd;

import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Ranks chosen for a top-1 budget from each layer's measured sensitivity (maxAccuracyDrop). On held labelled
 * samples, each layer alone is factorized at a few ranks, smallest first, and given the smallest whose top-1 drop
 * (against the original's on the same samples) is at most half the budget; a layer no candidate keeps within that
 * stays dense. Then the layers are combined and, while the whole model's drop exceeds the budget, the layer whose own
 * drop at its rank is largest is given its next larger candidate (or left dense). Drops of separate layers roughly
 * add, so half the budget per layer leaves room for the combination, which is measured, not assumed.
 */
final class AccuracyRanks {

    /** Candidate sizes, as the share of the dense layer's parameters the two factors hold. */
    static final double[] CANDIDATE_RATIOS = {0.1, 0.2, 0.3, 0.5, 0.7};
    /** Labelled samples top-1 is measured on (the dataset's first ones): 0.05 point per sample at 2,000. */
    static final int SAMPLES = 2000;
    private static final int BATCH = 250;

    /** A rank of 0 leaves the layer dense. */
    static final int DENSE = 0;

    /**
     * @param ranks    per layer, its rank, or {@link #DENSE}
     * @param baseline the original's top-1 on the samples
     * @param accuracy the combined model's top-1 on them
     * @param drops    per layer, its own drop at its rank (NaN where dense)
     */
    record Choice(int[] ranks, double baseline, double accuracy, double[] drops, int samples) {

        String note(int layer) {
            return ranks[layer] == DENSE ? "" : String.format(Locale.ROOT, "alone %.2f points below the original's "
                    + "top-1 on %d labelled samples", 100 * drops[layer], samples);
        }

        String summary() {
            return String.format(Locale.ROOT, "ranks chosen for the accuracy budget: top-1 %.4f against the "
                    + "original's %.4f on %d labelled samples", accuracy, baseline, samples);
        }
    }

    private AccuracyRanks() {
    }

    /** The candidate ranks of a layer, ascending and distinct, each smaller than the dense layer. */
    static int[] candidates(LayerTruncation f) {
        return f.ranksAtShares(CANDIDATE_RATIOS);
    }

    /**
     * @param model   the original
     * @param factors each chosen layer's truncation (whose replacement at a rank the model takes alone or together)
     * @param data    labelled samples; the first {@link #SAMPLES} are used
     */
    static Choice choose(ModelProto model, List<LayerTruncation> factors, Dataset data, double maxDrop,
                         ProgressListener progress) throws InterruptedException {
        int samples = Math.min(SAMPLES, data.size());
        return choose(factors, maxDrop, samples, m -> Evaluator.top1(m, data, samples, BATCH), model, progress);
    }

    /** As above, with top-1 measured by {@code top1} (a test's stand-in). */
    static Choice choose(List<LayerTruncation> factors, double maxDrop, int samples,
                         ToDoubleFunction<ModelProto> top1, ModelProto model, ProgressListener progress)
            throws InterruptedException {
        int n = factors.size();
        double baseline = top1.applyAsDouble(model);
        List<Map<Integer, Double>> measured = new ArrayList<>();
        int[][] candidates = new int[n][];
        int[] pick = new int[n]; // index into candidates[l], or -1 for dense
        for (int l = 0; l < n; l++) {
            measured.add(new HashMap<>());
            candidates[l] = candidates(factors.get(l));
            pick[l] = -1;
            for (int c = 0; c < candidates[l].length; c++) {
                checkInterrupt();
                double drop = drop(model, factors, l, candidates[l][c], baseline, top1, measured);
                if (drop <= maxDrop / 2) {
                    pick[l] = c;
                    break;
                }
            }
            progress.progress(0.5 * (l + 1) / n, String.format(Locale.ROOT, "sensitivity of layer %d of %d: %s",
                    l + 1, n, pick[l] < 0 ? "kept dense" : "rank " + candidates[l][pick[l]]));
        }
        double accuracy = combined(model, factors, candidates, pick, top1);
        while (baseline - accuracy > maxDrop) {
            checkInterrupt();
            int worst = -1;
            double worstDrop = Double.NEGATIVE_INFINITY;
            for (int l = 0; l < n; l++) {
                if (pick[l] >= 0) {
                    double d = measured.get(l).get(candidates[l][pick[l]]);
                    if (d > worstDrop) {
                        worstDrop = d;
                        worst = l;
                    }
                }
            }
            if (worst < 0) {
                break; // every layer dense: the original
            }
            pick[worst]++;
            if (pick[worst] >= candidates[worst].length) {
                pick[worst] = -1;
            } else {
                drop(model, factors, worst, candidates[worst][pick[worst]], baseline, top1, measured);
            }
            accuracy = combined(model, factors, candidates, pick, top1);
            progress.progress(0.75, String.format(Locale.ROOT, "combined: top-1 %.4f against %.4f", accuracy,
                    baseline));
        }
        int[] ranks = new int[n];
        double[] drops = new double[n];
        for (int l = 0; l < n; l++) {
            ranks[l] = pick[l] < 0 ? DENSE : candidates[l][pick[l]];
            drops[l] = pick[l] < 0 ? Double.NaN : measured.get(l).get(ranks[l]);
        }
        return new Choice(ranks, baseline, accuracy, drops, samples);
    }

    private static double drop(ModelProto model, List<LayerTruncation> factors, int layer, int rank, double baseline,
                               ToDoubleFunction<ModelProto> top1, List<Map<Integer, Double>> measured) {
        return measured.get(layer).computeIfAbsent(rank, r -> baseline
                - top1.applyAsDouble(new FactorizedExport(model).apply(List.of(factors.get(layer).replacement(r)))));
    }

    private static double combined(ModelProto model, List<LayerTruncation> factors, int[][] candidates, int[] pick,
                                   ToDoubleFunction<ModelProto> top1) {
        List<FactorizedExport.Replacement> all = new ArrayList<>();
        for (int l = 0; l < factors.size(); l++) {
            if (pick[l] >= 0) {
                all.add(factors.get(l).replacement(candidates[l][pick[l]]));
            }
        }
        return all.isEmpty() ? top1.applyAsDouble(model) : top1.applyAsDouble(new FactorizedExport(model).apply(all));
    }

    private static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("svd cancelled while measuring layer sensitivity");
        }
    }
}
