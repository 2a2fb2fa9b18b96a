package io.caas.engine.compress.svd;

import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.SpeedCheck;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Ranks, and for a convolution its form, chosen for a speed-up of the whole model (targetSpeedup): measured cost and
 * measured sensitivity, allocated under one threshold, as AIMET's greedy rank selection does with MACs.
 *
 * <p>Each layer's candidate forms (each conv form at a few sizes) are timed alone against the dense layer in ONNX
 * Runtime ({@link SpeedCheck}); a candidate that is not faster at batch 1 and at the timing batch is dropped, so no
 * layer can be kept in a form slower than dense. Each remaining candidate is then scored alone in the model (top-1
 * on labelled samples, or agreement with the original's outputs) as its drop from the original. For a drop
 * threshold τ every layer takes the candidate that saves the most time among those that drop at most τ; the
 * smallest τ whose predicted whole-model time meets the target is tried first, and the whole model is timed against
 * the original (paired rounds). Where the measured speed-up falls short of the prediction (time outside the layers,
 * fused activations split), the next threshold is tried, up to {@link #MODEL_CHECKS} whole-model timings; the
 * fastest configuration measured is the nearest result where none meets the target.
 */
final class SpeedRanks {

    /** Candidate sizes, as the share of the dense layer's parameters the two factors hold. */
    static final double[] CANDIDATE_RATIOS = {0.05, 0.1, 0.2, 0.3, 0.5};
    /** Whole-model timings at most: each is 10 paired rounds at two batch sizes. */
    static final int MODEL_CHECKS = 5;
    /** Rank of a layer left dense. */
    static final int DENSE = 0;

    /** How much a model loses against the original: top-1 points on labelled samples, or output agreement. */
    interface Score {

        /** The score of a model; higher is better. */
        double of(ModelProto model);

        /** What the score is, for notes ("top-1 on 1,000 labelled training samples"). */
        String describe();
    }

    /**
     * One candidate form of one layer, timed alone and scored alone.
     *
     * @param form   index into the layer's forms
     * @param timing the form alone against the dense layer
     * @param drop   the original's score minus the model's with this layer alone replaced
     */
    record Option(int layer, int form, int rank, SpeedCheck.Verdict timing, double drop) {

        double saved() {
            return timing.savedMillis();
        }
    }

    /**
     * @param options   per layer, its option, or null where left dense
     * @param predicted the whole-model speed-up the layers' timings predict at the timing batch
     * @param measured  the whole-model speed-up timed (original / compressed time, paired rounds) at the timing batch
     * @param atOne     the same at batch 1
     * @param target    the speed-up asked for
     * @param baseline  the original's score
     * @param score     the chosen model's score (before any sequential correction or fine-tuning)
     * @param notes     per layer, why it is dense or how its option measured
     */
    record Choice(Option[] options, double predicted, double measured, double atOne, double target, double baseline,
                  double score, String scoreName, String[] notes) {

        boolean met() {
            return measured >= target;
        }

        int rank(int layer) {
            return options[layer] == null ? DENSE : options[layer].rank();
        }

        int form(int layer) {
            return options[layer] == null ? 0 : options[layer].form();
        }

        String summary() {
            return String.format(Locale.ROOT, "ranks chosen for a %.2fx speed-up: the whole model timed %.2fx faster "
                    + "at the timing batch and %.2fx at batch 1 (%.2fx predicted from the layers' timings), target "
                    + "%s; %s %.4f against the original's %.4f", target, measured, atOne, predicted,
                    met() ? "met" : "not met, the nearest reached", scoreName, score, baseline);
        }
    }

    private SpeedRanks() {
    }

    /** The candidate ranks of one form of a layer, ascending and distinct, each smaller than the dense layer. */
    static int[] candidates(LayerTruncation f) {
        double breakEven = (double) f.rows() * f.cols() / (f.rows() + f.cols());
        return Arrays.stream(CANDIDATE_RATIOS).mapToInt(q -> Math.max(1, (int) Math.floor(q * breakEven)))
                .filter(r -> r < breakEven && r <= f.fullRank()).distinct().sorted().toArray();
    }

    /**
     * @param forms per layer, its truncations in each form it can take (the first, the channel or matrix form)
     * @param speed times a replacement against its dense layer, and a model against the original
     */
    static Choice choose(ModelProto model, List<List<LayerTruncation>> forms, SpeedCheck speed, Score score,
                         double target, ProgressListener progress) throws InterruptedException {
        int n = forms.size();
        double baseline = score.of(model);
        double[] denseMillis = new double[n];
        List<List<Option>> options = new ArrayList<>();
        String[] notes = new String[n];
        for (int l = 0; l < n; l++) {
            List<Option> layerOptions = new ArrayList<>();
            int slower = 0;
            denseMillis[l] = Double.NaN;
            for (int f = 0; f < forms.get(l).size(); f++) {
                LayerTruncation form = forms.get(l).get(f);
                for (int rank : candidates(form)) {
                    checkInterrupt();
                    SpeedCheck.Verdict timing = speed.check(form.replacement(rank));
                    if (!Double.isNaN(timing.denseMillis())) {
                        denseMillis[l] = timing.denseMillis();
                    }
                    if (!timing.faster()) {
                        slower++;
                        continue;
                    }
                    double drop = baseline - score.of(new FactorizedExport(model).apply(
                            List.of(form.replacement(rank))));
                    layerOptions.add(new Option(l, f, rank, timing, drop));
                }
            }
            options.add(layerOptions);
            if (layerOptions.isEmpty()) {
                notes[l] = "left dense by the speed target: none of its " + slower + " candidate forms timed faster "
                        + "than the dense layer alone at batch 1 and at the timing batch";
            }
            progress.progress(0.6 * (l + 1) / n, String.format(Locale.ROOT, "timed and scored layer %d of %d: %d "
                    + "faster candidate forms", l + 1, n, layerOptions.size()));
        }
        SpeedCheck.Verdict original = speed.checkModel(model);
        double layersMillis = Arrays.stream(denseMillis).filter(d -> !Double.isNaN(d)).sum();
        double modelMillis = Double.isNaN(original.denseMillis()) ? layersMillis : original.denseMillis();
        // Layers cut out alone carry a session's fixed cost each, so their times can add up to more than the model's.
        double scale = layersMillis > modelMillis ? modelMillis / layersMillis : 1;

        double[] thresholds = options.stream().flatMap(List::stream).mapToDouble(Option::drop).distinct().sorted()
                .toArray();
        List<Option[]> tried = new ArrayList<>();
        Option[] best = new Option[n];
        double bestMeasured = 1;
        double bestAtOne = 1;
        double bestPredicted = 1;
        int t = firstMeeting(options, thresholds, 0, target, modelMillis, scale);
        while (t < thresholds.length && tried.size() < MODEL_CHECKS) {
            checkInterrupt();
            Option[] config = pick(options, thresholds[t]);
            tried.add(config);
            SpeedCheck.Verdict whole = speed.checkModel(new FactorizedExport(model).apply(replacements(forms, config)));
            double predicted = predicted(config, modelMillis, scale);
            double measured = Double.isNaN(whole.ratioAtBatch()) ? predicted : 1 / whole.ratioAtBatch();
            progress.progress(0.6 + 0.3 * tried.size() / MODEL_CHECKS, String.format(Locale.ROOT, "speed target "
                    + "%.2fx: %d layers factorized, %.2fx predicted, %.2fx measured at the timing batch", target,
                    Arrays.stream(config).filter(o -> o != null).count(), predicted, measured));
            if (measured > bestMeasured) {
                best = config;
                bestMeasured = measured;
                bestAtOne = Double.isNaN(whole.ratioAtOne()) ? measured : 1 / whole.ratioAtOne();
                bestPredicted = predicted;
            }
            if (measured >= target || t == thresholds.length - 1) {
                break;
            }
            // The prediction overshot by predicted/measured; the next try asks the layers for that much more.
            double needed = target * predicted / Math.max(measured, 1e-9);
            t = Math.max(t + 1, firstMeeting(options, thresholds, t + 1, needed, modelMillis, scale));
        }
        for (int l = 0; l < n; l++) {
            if (notes[l] == null) {
                notes[l] = best[l] == null ? "left dense by the speed target: the target was reached without it"
                        : String.format(Locale.ROOT, "chosen for the speed target: alone %.2fx its dense time at "
                        + "the timing batch, %.2f %s below the original", best[l].timing().ratioAtBatch(),
                        100 * best[l].drop(), score.describe().startsWith("top-1") ? "points of top-1" : "% of "
                        + score.describe());
            }
        }
        boolean changed = Arrays.stream(best).anyMatch(o -> o != null);
        double chosenScore = changed ? score.of(new FactorizedExport(model).apply(replacements(forms, best)))
                : baseline;
        return new Choice(best, bestPredicted, bestMeasured, bestAtOne, target, baseline, chosenScore,
                score.describe(), notes);
    }

    /**
     * The first threshold from {@code from} on whose choice is predicted to reach {@code speedup}, or the last one
     * (the fastest choice, the nearest where none reaches it).
     */
    private static int firstMeeting(List<List<Option>> options, double[] thresholds, int from, double speedup,
                                    double modelMillis, double scale) {
        int t = from;
        while (t < thresholds.length - 1 && predicted(pick(options, thresholds[t]), modelMillis, scale) < speedup) {
            t++;
        }
        return t;
    }

    /** Per layer, the option that saves the most time among those whose drop is at most {@code threshold}. */
    private static Option[] pick(List<List<Option>> options, double threshold) {
        Option[] config = new Option[options.size()];
        for (int l = 0; l < options.size(); l++) {
            config[l] = options.get(l).stream().filter(o -> o.drop() <= threshold)
                    .max(Comparator.comparingDouble(Option::saved).thenComparing(o -> -o.drop())).orElse(null);
        }
        return config;
    }

    private static double predicted(Option[] config, double modelMillis, double scale) {
        double saved = scale * Arrays.stream(config).filter(o -> o != null).mapToDouble(Option::saved).sum();
        return modelMillis / Math.max(modelMillis - saved, 1e-9 * modelMillis);
    }

    static List<FactorizedExport.Replacement> replacements(List<List<LayerTruncation>> forms, Option[] config) {
        List<FactorizedExport.Replacement> all = new ArrayList<>();
        for (Option o : config) {
            if (o != null) {
                all.add(forms.get(o.layer()).get(o.form()).replacement(o.rank()));
            }
        }
        return all;
    }

    private static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("svd cancelled while choosing ranks for the speed target");
        }
    }
}
