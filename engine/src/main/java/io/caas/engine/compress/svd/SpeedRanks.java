package io.caas.engine.compress.svd;

import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.SpeedCheck;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * Ranks, and for a convolution its form, chosen for a speed-up of the whole model (targetSpeedup): measured cost and
 * measured sensitivity under one threshold, as AIMET's greedy rank selection does with MACs.
 *
 * <p>Each layer's candidate forms (a few sizes of its one form; of a conv's channel and spatial forms, the one that
 * makes the whole model faster, {@link #formInTheModel}) are timed against the dense layer in ONNX Runtime
 * ({@link SpeedCheck}: alone, or a bilinear layer in the whole model); a candidate that is not faster at batch 1 and
 * at the timing batch is dropped, so no layer can be kept in a form slower than dense. Each remaining candidate is
 * then scored alone in the model as its drop from the original: on labelled samples the true class's log-likelihood, which unlike top-1 moves with every
 * sample's confidence and so tells nearby forms apart, else agreement with the original's outputs. A greedy path
 * ({@link #path}) leads from the dense model to every layer at its fastest form, each step moving the layer whose
 * next form buys the most time per point of drop. The first step whose whole model times at least the target, with
 * {@link #TARGET_MARGIN}, against the original (paired rounds) is found by bisection along the path, a whole-model
 * timing per probe, and the steps just before it timed again while timings are left, since one low reading sends
 * the bisection past the step that meets the target: layers
 * timed alone do not add up to the model's time (the Transformer's projections took several times their alone-time
 * share of the model), so only the whole model is trusted for the target. Where even the path's end falls short,
 * that choice, the fastest, is the nearest result. An earlier form of this chose under one common drop threshold
 * (AIMET's greedy selection); on the ResNet that let a 1×1 shortcut take rank 1 at 9 points alone because another
 * layer needed that threshold.
 */
final class SpeedRanks {

    /** Candidate sizes, as the share of the dense layer's parameters the two factors hold. */
    static final double[] CANDIDATE_RATIOS = {0.05, 0.1, 0.2, 0.3, 0.5};
    /** Whole-model timings at most (each 10 paired rounds at two batch sizes): bisection over a 512-step path. */
    static final int MODEL_CHECKS = 10;
    /**
     * How far above the target a step must time to be chosen: the original timed against itself in paired rounds
     * reads 0.97-1.03x on this machine, so a step chosen at exactly the target measures below it half the time when
     * the job's report times it again.
     */
    static final double TARGET_MARGIN = 1.03;
    /** Rank of a layer left dense. */
    static final int DENSE = 0;

    /**
     * How much a model loses against the original: the true class's log-likelihood on labelled samples, or output
     * agreement.
     */
    interface Score {

        /** The score of a model; higher is better. */
        double of(ModelProto model);

        /** What the score is, for notes ("log-likelihood of the true class on 1,000 labelled training samples"). */
        String describe();

        /** A layer's drop (the original's score minus the model's), said for its note. */
        String drop(double drop);
    }

    /**
     * One form a layer can take (a matrix or conv truncation in the channel or the spatial form, or a bilinear
     * layer's Hadamard form), at the sizes the target tries.
     */
    interface Form {

        /** What the form is, for notes ("the spatial form"). */
        String name();

        /** The candidate ranks, ascending, each smaller than the dense layer. */
        int[] candidates();

        /** The layer in this form at {@code rank} against the layer dense: faster at both batch sizes or not. */
        SpeedCheck.Verdict time(SpeedCheck speed, int rank);
    }

    /** The model with each layer of a choice in its chosen form at its chosen rank (null: dense). */
    @FunctionalInterface
    interface Models {
        ModelProto at(Option[] choice);
    }

    /** A truncation's form: its ranks at {@link #CANDIDATE_RATIOS}, the factorized layer timed alone. */
    static Form form(LayerTruncation truncation, String name) {
        return new Form() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int[] candidates() {
                return truncation.ranksAtShares(CANDIDATE_RATIOS);
            }

            @Override
            public SpeedCheck.Verdict time(SpeedCheck speed, int rank) {
                return speed.check(truncation.replacement(rank));
            }
        };
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
     * @param measured  the whole-model speed-up timed (original / compressed time, paired rounds) at the timing batch
     * @param atOne     the same at batch 1
     * @param target    the speed-up asked for
     * @param baseline  the original's score
     * @param score     the chosen model's score (before any sequential correction or fine-tuning)
     * @param notes     per layer, why it is dense or how its option measured
     */
    record Choice(Option[] options, double measured, double atOne, double target, double baseline,
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
                    + "at the timing batch and %.2fx at batch 1, target %s; %s %.4f against the original's %.4f",
                    target, measured, atOne,
                    met() ? "met" : "not met, the nearest reached", scoreName, score, baseline);
        }
    }

    private SpeedRanks() {
    }

    /**
     * @param forms  per layer, each form it can take (the first, the channel or matrix form)
     * @param models the model at a choice
     * @param speed  times a form against its dense layer, and a model against the original
     */
    static Choice choose(ModelProto model, List<List<Form>> forms, Models models, SpeedCheck speed, Score score,
                         double target, ProgressListener progress) throws InterruptedException {
        int n = forms.size();
        double baseline = score.of(model);
        List<List<Option>> options = new ArrayList<>();
        String[] notes = new String[n];
        String[] formNotes = new String[n];
        for (int l = 0; l < n; l++) {
            List<Option> layerOptions = new ArrayList<>();
            int slower = 0;
            int only = forms.get(l).size() > 1 ? formInTheModel(l, n, forms.get(l), models, speed, formNotes) : -1;
            for (int f = 0; f < forms.get(l).size(); f++) {
                if (only >= 0 && f != only) {
                    continue;
                }
                Form form = forms.get(l).get(f);
                for (int rank : form.candidates()) {
                    checkInterrupt();
                    SpeedCheck.Verdict timing = form.time(speed, rank);
                    if (!timing.faster()) {
                        slower++;
                        continue;
                    }
                    Option[] alone = new Option[n];
                    alone[l] = new Option(l, f, rank, timing, 0);
                    double drop = baseline - score.of(models.at(alone));
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
        List<Option[]> path = path(options);
        Map<Integer, double[]> timed = new HashMap<>(); // step on the path → {speed-up at the batch, at batch 1}
        int[] checks = {0};
        Timing fresh = i -> {
            Option[] config = path.get(i);
            SpeedCheck.Verdict whole = speed.checkModel(models.at(config));
            double[] speedup = {1 / whole.ratioAtBatch(), 1 / whole.ratioAtOne()};
            checks[0]++;
            progress.progress(0.6 + 0.3 * Math.min(1, (double) checks[0] / MODEL_CHECKS), String.format(Locale.ROOT,
                    "speed target %.2fx: step %d of %d, %d layers factorized, %.2fx measured at the timing batch",
                    target, i + 1, path.size(), Arrays.stream(config).filter(o -> o != null).count(), speedup[0]));
            return speedup;
        };
        Timing timing = t -> timed.computeIfAbsent(t, fresh::of);
        int chosen = -1;
        if (!path.isEmpty()) {
            checkInterrupt();
            int hi = path.size() - 1;
            double aim = target * TARGET_MARGIN;
            if (timing.of(hi)[0] >= aim) {
                int lo = 0;
                while (lo < hi && checks[0] < MODEL_CHECKS) {
                    checkInterrupt();
                    int mid = (lo + hi) / 2;
                    if (timing.of(mid)[0] >= aim) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
            }
            // A step timed low by noise sends the bisection past the first step that meets the target: with the
            // timings left, the steps before the chosen one are timed again, and the earliest that meets it is kept.
            while (hi > 0 && checks[0] < MODEL_CHECKS && timing.of(hi)[0] >= aim) {
                checkInterrupt();
                double[] again = fresh.of(hi - 1);
                if (again[0] < aim) {
                    break;
                }
                timed.put(hi - 1, again);
                hi--;
            }
            // never a model measured slower than the original
            chosen = timing.of(hi)[0] > 1 ? hi : -1;
        }
        Option[] best = chosen < 0 ? new Option[n] : path.get(chosen);
        double bestMeasured = chosen < 0 ? 1 : timed.get(chosen)[0];
        double bestAtOne = chosen < 0 ? 1 : timed.get(chosen)[1];
        for (int l = 0; l < n; l++) {
            if (notes[l] == null) {
                notes[l] = best[l] == null ? "left dense by the speed target: the target was reached without it"
                        : String.format(Locale.ROOT, "chosen for the speed target: alone %.2fx its dense time at "
                        + "the timing batch, %s", best[l].timing().ratioAtBatch(), score.drop(best[l].drop()))
                        + (formNotes[l] == null ? "" : "; " + formNotes[l]);
            }
        }
        boolean changed = Arrays.stream(best).anyMatch(o -> o != null);
        double chosenScore = changed ? score.of(models.at(best)) : baseline;
        return new Choice(best, bestMeasured, bestAtOne, target, baseline, chosenScore,
                score.describe(), notes);
    }

    /**
     * The one form of a layer worth trying, where it has several (a conv's channel and spatial forms): each form at
     * its smallest candidate, the layer alone rewritten in the whole model, timed against the original; the form
     * whose model is faster at the timing batch. Chosen in the model, not alone: timed alone, a conv's channel form
     * (r filters then a 1×1 conv over r channels) reads faster than it runs among its neighbours, where ONNX
     * Runtime's blocked channel layout adds reorders around its few channels. On the comparison CNN the path's end
     * timed 1.72x with the forms chosen alone and 2.48x in the spatial form (BENCHMARKS.md).
     *
     * @return the form's index, or -1 where no form has a candidate
     */
    private static int formInTheModel(int layer, int n, List<Form> forms, Models models, SpeedCheck speed,
                                      String[] formNotes) throws InterruptedException {
        int best = -1;
        double bestRatio = Double.POSITIVE_INFINITY;
        List<String> timings = new ArrayList<>();
        for (int f = 0; f < forms.size(); f++) {
            int[] candidates = forms.get(f).candidates();
            if (candidates.length == 0) {
                continue;
            }
            checkInterrupt();
            Option[] alone = new Option[n];
            alone[layer] = new Option(layer, f, candidates[0], null, 0);
            double ratio = speed.checkModel(models.at(alone)).ratioAtBatch();
            timings.add(String.format(Locale.ROOT, "%s %.2fx", forms.get(f).name(), ratio));
            if (ratio < bestRatio) {
                best = f;
                bestRatio = ratio;
            }
        }
        if (timings.size() > 1) {
            formNotes[layer] = "its form chosen in the whole model, each at its smallest candidate timed against the "
                    + "original at the timing batch: " + String.join(", ", timings);
        }
        return best;
    }

    /**
     * From every layer dense to every layer at its fastest form, one move at a time: each step moves the one layer
     * whose next faster form buys the most time per point of drop (moves that cost nothing first, the largest gain
     * among them), as a greedy knapsack over measured time and measured sensitivity. Each step saves more time than
     * the one before, so the whole model's speed-up grows along the path and can be bisected.
     */
    static List<Option[]> path(List<List<Option>> options) {
        int n = options.size();
        Option[] current = new Option[n];
        List<Option[]> path = new ArrayList<>();
        while (true) {
            Option move = null;
            double bestValue = Double.NEGATIVE_INFINITY;
            double bestGain = 0;
            for (int l = 0; l < n; l++) {
                double saved = current[l] == null ? 0 : current[l].saved();
                double drop = current[l] == null ? 0 : current[l].drop();
                for (Option o : options.get(l)) {
                    double gain = o.saved() - saved;
                    if (gain <= 0) {
                        continue;
                    }
                    double cost = o.drop() - drop;
                    double value = cost <= 0 ? Double.POSITIVE_INFINITY : gain / cost;
                    if (value > bestValue || value == bestValue && gain > bestGain) {
                        move = o;
                        bestValue = value;
                        bestGain = gain;
                    }
                }
            }
            if (move == null) {
                return path;
            }
            current = current.clone();
            current[move.layer()] = move;
            path.add(current);
        }
    }

    /** The whole model at a step's choice, timed against the original: its speed-ups at the batch and at 1. */
    @FunctionalInterface
    private interface Timing {
        double[] of(int step);
    }

    private static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("svd cancelled while choosing ranks for the speed target");
        }
    }
}
