package io.caas.engine.compress.calibration;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Whether and how a low-rank method weighs each layer's truncation by the inputs it sees (see {@link WhitenedSvd}). */
public enum Whitening {
    /** Sequential where the job brings training data to calibrate on, else none. */
    AUTO,
    /** Plain truncation of the weight: the best rank-r weight, blind to the data. */
    NONE,
    /** Every layer whitened by its inputs in the original model: one calibration pass for all layers. */
    PARALLEL,
    /**
     * Layer after layer, each whitened by its inputs in the model whose earlier layers are already replaced, its
     * weight first corrected towards the original model's output: one calibration pass per layer (or per set of
     * layers reading the same value), so errors do not compound.
     */
    SEQUENTIAL;

    public static final String PARAMETER = "whitening";

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static List<String> wireNames() {
        return Arrays.stream(values()).map(Whitening::wireName).toList();
    }

    /** The setting of this wire name (as {@link #wireNames()} lists them). */
    public static Whitening ofWireName(String wireName) {
        return Arrays.stream(values()).filter(w -> w.wireName().equals(wireName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no whitening " + wireName));
    }

    /** What this setting does for a job with or without training data. */
    public Whitening resolve(boolean hasTrainingData) {
        return this == AUTO ? (hasTrainingData ? SEQUENTIAL : NONE) : this;
    }

    /** The problem with this setting for a job without training data; null where there is none. */
    public String needsDataProblem(boolean hasTrainingData) {
        if (hasTrainingData || this == AUTO || this == NONE) {
            return null;
        }
        return PARAMETER + " '" + wireName() + "' calibrates on the job's training dataset, and the job has none: "
                + "give trainDatasetId, or whitening 'none' (or 'auto', which whitens only when there is data)";
    }
}
