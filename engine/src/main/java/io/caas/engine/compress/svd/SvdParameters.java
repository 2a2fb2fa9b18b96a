package io.caas.engine.compress.svd;

import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.ParameterValues;
import io.caas.engine.compress.SpeedCheckParameters;
import io.caas.engine.compress.RankBudget;
import io.caas.engine.compress.calibration.Whitening;
import io.caas.engine.onnx.ModelSummary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated parameters of one svd run.
 *
 * @param rule             how each layer's rank is chosen
 * @param value            the energy, ratio, rank or whole-model parameter count the rule uses
 * @param layers           layers named by the user, or empty for "every eligible layer"
 * @param skipFirstAndLast leave the first conv and the last weighted layer dense (ignored when layers are named)
 * @param onlyIfSmaller    leave a layer dense where the factors would not be smaller than the weight
 * @param fineTune         fine-tune the factorized model on the job's training data, if it has any
 * @param distil           fine-tune labelled data by distilling the original's class scores rather than the labels
 * @param whitening        whether truncation is weighted by the layers' inputs on calibration samples
 * @param calibrationSamples how many training samples the whitening runs the model on
 * @param onlyIfFaster     leave a layer dense where its factorized form does not time faster in ONNX Runtime
 * @param timingBatchSize  the batch size a layer is timed at besides 1
 * @param convForm         how a conv's kernel is split: kh×kw then 1×1 (channels), kh×1 then 1×kw (spatial), or
 *                         whichever the speed target measures better (auto)
 * @param outputAware      whitened truncation also weighs each layer's output directions by how much they move the
 *                         model's output
 * @param sensitivitySamples of the calibration samples, how many measure each layer's effect on the model's output
 */
record SvdParameters(RankRule rule, double value, Set<String> layers, boolean skipFirstAndLast,
                     boolean onlyIfSmaller, boolean fineTune, Whitening whitening, int calibrationSamples,
                     boolean onlyIfFaster, int timingBatchSize, ConvForm convForm, boolean distil,
                     boolean outputAware, int sensitivitySamples) {

    /**
     * DEFAULT_ENERGY: no size given, so the energy default of plain or whitened truncation, whichever runs.
     * SPEEDUP: ranks chosen for a speed-up of the whole model (targetSpeedup).
     */
    enum RankRule { DEFAULT_ENERGY, ENERGY, RATIO, RANK, TARGET_PARAMETERS, ACCURACY_DROP, SPEEDUP }

    /** How a kh×kw conv is split; AUTO is the channel form except where a speed target times both. */
    enum ConvForm { CHANNELS, SPATIAL, AUTO }

    /** What stops these settings from running on a job with or without training data; null where nothing does. */
    String noDataProblem(boolean hasTrainingData) {
        String whiteningProblem = whitening.needsDataProblem(hasTrainingData);
        if (whiteningProblem != null || hasTrainingData || !outputAware) {
            return whiteningProblem;
        }
        return OUTPUT_AWARE + " measures on the job's training dataset, and the job has none: give trainDatasetId, "
                + "or leave " + OUTPUT_AWARE + " out";
    }

    /** Whether every eligible conv takes the spatial form. */
    boolean spatial() {
        return convForm == ConvForm.SPATIAL;
    }

    /** Whether the rank chooser weighs both forms of each eligible conv against each other. */
    boolean bothConvForms() {
        return convForm == ConvForm.AUTO && rule == RankRule.SPEEDUP;
    }

    /** Rules that choose every layer's rank at once, from a budget: a layer that would not shrink is left dense. */
    boolean budgeted() {
        return rule == RankRule.TARGET_PARAMETERS || rule == RankRule.ACCURACY_DROP || rule == RankRule.SPEEDUP;
    }

    static final String ENERGY = "energy";
    static final String RATIO = "ratio";
    static final String RANK = "rank";
    static final String TARGET_PARAMETERS = RankBudget.TARGET_PARAMETERS;
    static final String MAX_ACCURACY_DROP = "maxAccuracyDrop";
    static final String TARGET_SPEEDUP = "targetSpeedup";
    /** The largest speed-up a request may ask for; more is no target but a typo. */
    static final double MAX_TARGET_SPEEDUP = 1000;
    static final String LAYERS = "layers";
    static final String SKIP_FIRST_AND_LAST = "skipFirstAndLast";
    static final String ONLY_IF_SMALLER = "onlyIfSmaller";
    static final String FINE_TUNE = "fineTune";
    static final String FINE_TUNE_BY = "fineTuneBy";
    static final String BY_DISTILLATION = "distillation";
    static final String BY_LABELS = "labels";
    static final String WHITENING = Whitening.PARAMETER;
    static final String CALIBRATION_SAMPLES = "calibrationSamples";
    static final String OUTPUT_AWARE = "outputAware";
    static final String SENSITIVITY_SAMPLES = "sensitivitySamples";
    static final String ONLY_IF_FASTER = SpeedCheckParameters.ONLY_IF_FASTER;
    static final String TIMING_BATCH_SIZE = SpeedCheckParameters.TIMING_BATCH_SIZE;
    static final String CONV_FORM = "convForm";
    static final String CHANNELS = "channels";
    static final String SPATIAL = "spatial";
    static final String AUTO = "auto";
    /** Most samples a job may calibrate on: each costs a forward pass per calibration pass. */
    static final int MAX_CALIBRATION_SAMPLES = 100_000;
    /** The alternative ways to choose the size, of which a request gives at most one. */
    static final Set<String> SIZE_RULES = Collections.unmodifiableSet(new LinkedHashSet<>(List.of(ENERGY, RATIO,
            RANK, TARGET_PARAMETERS, MAX_ACCURACY_DROP, TARGET_SPEEDUP)));
    static final Set<String> KNOWN = new LinkedHashSet<>(List.of(ENERGY, RATIO, RANK, TARGET_PARAMETERS,
            MAX_ACCURACY_DROP, TARGET_SPEEDUP, LAYERS,
            SKIP_FIRST_AND_LAST, ONLY_IF_SMALLER, FINE_TUNE, FINE_TUNE_BY, WHITENING, CALIBRATION_SAMPLES, OUTPUT_AWARE, SENSITIVITY_SAMPLES, ONLY_IF_FASTER, TIMING_BATCH_SIZE, CONV_FORM));

    static SvdParameters parse(Map<String, Object> params, ModelSummary model) {
        Map<String, Object> p = params == null ? Map.of() : params;
        List<String> problems = new ArrayList<>();
        ParameterValues.unknownKeys(p, KNOWN, "svd", problems);
        List<String> rules = SIZE_RULES.stream().filter(k -> p.get(k) != null).toList();
        if (rules.size() > 1) {
            problems.add("give only one of energy, ratio, rank, targetParameters, maxAccuracyDrop and targetSpeedup, not "
                    + String.join(" and ", rules));
        }
        RankRule rule = RankRule.DEFAULT_ENERGY;
        double value = Double.NaN;
        if (p.get(ENERGY) != null) {
            rule = RankRule.ENERGY;
            value = ParameterValues.fraction(p.get(ENERGY), ENERGY, problems);
        } else if (p.get(RATIO) != null) {
            rule = RankRule.RATIO;
            value = ParameterValues.fraction(p.get(RATIO), RATIO, problems);
        } else if (p.get(RANK) != null) {
            rule = RankRule.RANK;
            value = positiveInteger(p.get(RANK), problems);
        } else if (p.get(TARGET_PARAMETERS) != null) {
            rule = RankRule.TARGET_PARAMETERS;
            value = ParameterValues.count(p.get(TARGET_PARAMETERS), TARGET_PARAMETERS, problems);
        } else if (p.get(MAX_ACCURACY_DROP) != null) {
            rule = RankRule.ACCURACY_DROP;
            value = ParameterValues.fraction(p.get(MAX_ACCURACY_DROP), MAX_ACCURACY_DROP, problems);
        } else if (p.get(TARGET_SPEEDUP) != null) {
            rule = RankRule.SPEEDUP;
            value = speedup(p.get(TARGET_SPEEDUP), problems);
        }
        // the other rules are still checked so that every problem is reported at once
        for (String other : rules.stream().skip(1).toList()) {
            if (other.equals(TARGET_SPEEDUP)) {
                speedup(p.get(other), problems);
            } else if (other.equals(RANK)) {
                positiveInteger(p.get(RANK), problems);
            } else if (other.equals(TARGET_PARAMETERS)) {
                ParameterValues.count(p.get(other), other, problems);
            } else {
                ParameterValues.fraction(p.get(other), other, problems);
            }
        }
        boolean skip = ParameterValues.bool(p.get(SKIP_FIRST_AND_LAST), SKIP_FIRST_AND_LAST, true, problems);
        boolean onlyIfSmaller = ParameterValues.bool(p.get(ONLY_IF_SMALLER), ONLY_IF_SMALLER, true, problems);
        boolean fineTune = ParameterValues.bool(p.get(FINE_TUNE), FINE_TUNE, false, problems);
        boolean distil = true;
        Object by = p.get(FINE_TUNE_BY);
        if (by != null) {
            if (BY_LABELS.equals(by)) {
                distil = false;
            } else if (!BY_DISTILLATION.equals(by)) {
                problems.add(FINE_TUNE_BY + " must be one of [" + BY_DISTILLATION + ", " + BY_LABELS + "], got " + by);
            }
        }
        Whitening whitening = Whitening.parse(p.get(WHITENING), Whitening.AUTO, problems);
        int samples = sampleCount(p, CALIBRATION_SAMPLES, TruncatedSvdMethod.DEFAULT_CALIBRATION_SAMPLES, problems);
        int sensitivitySamples = sampleCount(p, SENSITIVITY_SAMPLES, TruncatedSvdMethod.DEFAULT_SENSITIVITY_SAMPLES,
                problems);
        boolean outputAware = ParameterValues.bool(p.get(OUTPUT_AWARE), OUTPUT_AWARE, false, problems);
        if (outputAware && whitening == Whitening.NONE) {
            problems.add(OUTPUT_AWARE + " weighs the whitened truncation and needs whitening (parallel, sequential or "
                    + "auto with training data), not none");
        }
        ConvForm convForm = ConvForm.AUTO;
        Object form = p.get(CONV_FORM);
        if (form != null) {
            String f = form instanceof String text ? text.strip().toLowerCase(java.util.Locale.ROOT) : "";
            switch (f) {
                case CHANNELS -> convForm = ConvForm.CHANNELS;
                case SPATIAL -> convForm = ConvForm.SPATIAL;
                case AUTO -> convForm = ConvForm.AUTO;
                default -> problems.add(CONV_FORM + " must be one of [" + AUTO + ", " + CHANNELS + ", " + SPATIAL
                        + "], got " + form);
            }
        }
        boolean onlyIfFaster = ParameterValues.bool(p.get(ONLY_IF_FASTER), ONLY_IF_FASTER, true, problems);
        if (rule == RankRule.SPEEDUP && !onlyIfFaster) {
            problems.add(TARGET_SPEEDUP + " chooses ranks from each layer's measured time and keeps no layer in a form "
                    + "that times slower than its dense form; it cannot run with " + ONLY_IF_FASTER + " false");
        }
        int timingBatch = SpeedCheckParameters.timingBatchSize(p.get(TIMING_BATCH_SIZE), problems);
        Set<String> layers = ParameterValues.layerNames(p.get(LAYERS), model, "svd",
                LowRankLayers::eligible, true, problems);
        if (model.layers().stream().noneMatch(LowRankLayers::eligible) && model.subgraphLayers()
                .stream().noneMatch(l -> LowRankLayers.eligible(l.layer()))) {
            problems.add(ParameterValues.noFactorizableLayer(model, "svd"));
        }
        if (!problems.isEmpty()) {
            throw new InvalidParametersException(problems);
        }
        return new SvdParameters(rule, value, layers, skip, onlyIfSmaller, fineTune, whitening, samples, onlyIfFaster,
                timingBatch, convForm, distil, outputAware, sensitivitySamples);
    }

    private static int sampleCount(Map<String, Object> p, String key, int fallback, List<String> problems) {
        if (p.get(key) == null) {
            return fallback;
        }
        long n = ParameterValues.count(p.get(key), key, problems);
        if (n > MAX_CALIBRATION_SAMPLES) {
            problems.add(key + " must be at most " + MAX_CALIBRATION_SAMPLES + ", got " + n);
        }
        return (int) Math.min(n, MAX_CALIBRATION_SAMPLES);
    }

    private static double speedup(Object raw, List<String> problems) {
        Double v = ParameterValues.number(raw);
        if (v == null || !(v > 1 && v <= MAX_TARGET_SPEEDUP)) {
            problems.add(TARGET_SPEEDUP + " must be a number above 1 and at most " + (int) MAX_TARGET_SPEEDUP
                    + " (times faster than the original), got " + raw);
            return Double.NaN;
        }
        return v;
    }

    private static double positiveInteger(Object raw, List<String> problems) {
        Double v = ParameterValues.number(raw);
        if (v == null || v < 1 || v != Math.rint(v) || v > Integer.MAX_VALUE) {
            problems.add("rank must be a positive integer, got " + raw);
            return Double.NaN;
        }
        return v;
    }
}
