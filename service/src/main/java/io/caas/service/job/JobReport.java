package io.caas.service.job;

import io.caas.engine.compress.LayerReport;
import io.caas.engine.cost.MacComparison;
import io.caas.engine.eval.InterpreterTiming;
import io.caas.engine.eval.LatencyStats;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.eval.ModelProfile;
import io.caas.engine.eval.OutputAgreement;
import io.caas.engine.eval.PairedLatency;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Everything measured about a finished job, served by GET /v1/jobs/{id}/report. Both models are measured by the
 * same evaluator (ONNX Runtime, same inputs, same threads, their latency in alternating rounds), so the figures
 * compare.
 *
 * @param original          the uploaded model
 * @param compressed        the artifact
 * @param agreement         how closely the artifact's outputs follow the original's (evaluation data, or seeded
 *                          random inputs without it)
 * @param interpreter       the two models' latency in the engine's DJL/PyTorch interpreter, which fine-tunes, where
 *                          the request's measure.interpreterLatency asks for it; else a note saying how to
 * @param compressionRatio  parameters after / before
 * @param accuracyDelta     top-1 after minus before, as a fraction; absent without labelled evaluation data
 * @param target            the job's target and whether the result meets it
 * @param measurementNote   why a figure is missing, when one is
 * @param curves            named series over steps ("loss", "rank:layer"...), each a list of [step, value]
 * @param speed             the two models' latency from paired rounds, and whether the compressed one is slower;
 *                          null where latency could not be measured ({@code measurementNote} says why)
 * @param macs              multiply-accumulates per layer and in all, before and after, for one sample
 * @param profile           where each model's time goes in ONNX Runtime, node by node
 */
public record JobReport(UUID jobId, UUID modelId, String method, Map<String, Object> parameters,
                        ModelMeasurements original, ModelMeasurements compressed, OutputAgreement agreement,
                        InterpreterLatency interpreter, double compressionRatio, Double accuracyDelta,
                        TargetCheck target, String measurementNote, List<LayerReport> layers,
                        Map<String, List<double[]>> curves, Speed speed, MacComparison macs, Profiles profile) {

    /**
     * The original and the compressed model timed in alternating rounds in one process ({@link PairedLatency}); the
     * {@code batch1} and {@code batchN} of {@link JobReport#original()} and {@link JobReport#compressed()} are the
     * two sides of these pairs.
     *
     * @param slower  the compressed model is slower than the original at batch 1 or at batch N: its median round
     *                ratio (compressed / original) is above 1
     * @param verdict the same in words, with each batch size's factor, e.g. "The compressed model is 1.12x slower at
     *                batch 32 and 1.30x faster at batch 1 (median of 10 paired rounds at each batch size).", and which
     *                figures are uncertain because their rounds disagree (see {@link PairedLatency#roundsDisagree()})
     */
    public record Speed(PairedLatency batch1, PairedLatency batchN, boolean slower, String verdict) {

        static Speed of(PairedLatency batch1, PairedLatency batchN) {
            List<PairedLatency> sides = sides(batch1, batchN);
            boolean slower = sides.stream().anyMatch(p -> p.medianRatio() > 1);
            String verdict = "The compressed model is " + phrases(sides) + " (median of "
                    + batch1.rounds() + " paired rounds" + (sides.size() > 1 ? " at each batch size" : "") + ").";
            List<String> uncertain = sides.stream().filter(PairedLatency::roundsDisagree)
                    .map(p -> String.valueOf(p.batchSize())).toList();
            if (!uncertain.isEmpty()) {
                verdict += " The rounds disagree by more than " + Math.round(PairedLatency.DISAGREEMENT * 100)
                        + " % at batch " + String.join(" and ", uncertain) + ", so "
                        + (uncertain.size() > 1 ? "these figures are" : "that figure is") + " uncertain.";
            }
            return new Speed(batch1, batchN, slower, verdict + noise(sides));
        }

        /**
         * For a compressed model whose graph is the original's (the same operators on weights of the same shapes: the
         * method kept every layer dense): it costs what the original costs, so it is not called slower, and the
         * measured ratios are given as what they are, the machine's noise.
         */
        static Speed unchanged(PairedLatency batch1, PairedLatency batchN) {
            List<PairedLatency> sides = sides(batch1, batchN);
            return new Speed(batch1, batchN, false, "The compressed model has the original's graph (the same "
                    + "operators on weights of the same shapes: every layer was kept dense), so it runs as fast as "
                    + "the original; the " + batch1.rounds() + " paired rounds measured it " + phrases(sides)
                    + ", which is the measurement's noise.");
        }

        /**
         * Where single runs varied ({@link LatencyStats#isNoisy()}), which and by how much: a p50 taken on a busy
         * machine is not the model's, while the paired ratio, whose rounds shared the load, still is.
         */
        private static String noise(List<PairedLatency> sides) {
            List<String> noisy = new java.util.ArrayList<>();
            for (PairedLatency p : sides) {
                for (LatencyStats s : List.of(p.original(), p.compressed())) {
                    if (s.isNoisy()) {
                        noisy.add(String.format(Locale.ROOT, "the %s's p95 is %.1fx its p50 at batch %d",
                                s == p.original() ? "original" : "compressed model", s.spread(), p.batchSize()));
                    }
                }
            }
            return noisy.isEmpty() ? "" : " Single runs varied (" + String.join("; ", noisy) + "): the machine was "
                    + "busy with other work, so the p50 and p95 figures say less than usual; the paired ratios, "
                    + "whose rounds shared the load, are the comparison to trust.";
        }

        private static List<PairedLatency> sides(PairedLatency batch1, PairedLatency batchN) {
            return batchN.batchSize() == batch1.batchSize() ? List.of(batch1) : List.of(batch1, batchN);
        }

        /** Each batch size's factor, slower first: it is what a reader must not miss. */
        private static String phrases(List<PairedLatency> sides) {
            return String.join(" and ", sides.stream().sorted(Comparator.comparing(p -> p.medianRatio() <= 1))
                    .map(p -> factor(p.medianRatio()) + " at batch " + p.batchSize()).toList());
        }

        /** "1.12x slower", "1.30x faster"; a factor within 1 % keeps three decimals so it does not read 1.00x. */
        private static String factor(double ratio) {
            if (ratio == 1) {
                return "as fast as the original";
            }
            double f = ratio > 1 ? ratio : 1 / ratio;
            String digits = String.format(Locale.ROOT, f < 1.01 ? "%.3f" : "%.2f", f);
            return digits + "x " + (ratio > 1 ? "slower" : "faster");
        }
    }

    /** @param note why a profile is missing, when one is */
    public record Profiles(ModelProfile original, ModelProfile compressed, String note) {
    }

    /**
     * The target is checked against the measured result, not yet steered toward: methods take their own parameters
     * (rank, energy, cut-off). A null verdict means the target was not set or could not be measured (no labelled
     * evaluation data for an accuracy target).
     *
     * @param speedupMet      the paired median speed-up at the evaluation batch size (original / compressed time,
     *                        {@link Speed#batchN()}) reaches the target's speedup; null without one or without
     *                        latency
     * @param speedupReached  that speed-up, so a missed target says how near it came; null without latency
     * @param met every verdict that could be given is true
     */
    public record TargetCheck(JobRequest.Target requested, Boolean compressionRatioMet, Boolean accuracyDropMet,
                              Boolean speedupMet, Double speedupReached, Boolean met) {

        static TargetCheck of(JobRequest.Target target, double compressionRatio, Double accuracyDelta, Speed speed) {
            if (target == null) {
                return null;
            }
            Boolean ratio = target.compressionRatio() == null ? null : compressionRatio <= target.compressionRatio();
            Boolean drop = target.maxAccuracyDrop() == null || accuracyDelta == null ? null
                    : -accuracyDelta <= target.maxAccuracyDrop();
            Double reached = speed == null ? null : 1 / speed.batchN().medianRatio();
            Boolean fast = target.speedup() == null || reached == null ? null : reached >= target.speedup();
            Boolean met = ratio == null && drop == null && fast == null ? null
                    : !Boolean.FALSE.equals(ratio) && !Boolean.FALSE.equals(drop) && !Boolean.FALSE.equals(fast);
            return new TargetCheck(target, ratio, drop, fast, reached, met);
        }
    }

    /** @param note why the interpreter could not time the models, when it could not (unsupported operators...) */
    public record InterpreterLatency(InterpreterTiming.Result original, InterpreterTiming.Result compressed,
                                     String note) {

        /** A job that did not ask for it (the default). */
        static final InterpreterLatency NOT_ASKED = new InterpreterLatency(null, null, "not measured: the request's "
                + "measure.interpreterLatency turns it on (off by default: the engine's interpreter is the runtime "
                + "fine-tuning uses, not one to serve with, and timing it can take most of a small job's time)");
    }
}
