package io.caas.engine.compress;

import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.OutputAgreement;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.TensorSpec;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether a compressed model stays within a top-1 drop of the original, measured before it is returned: on the
 * first {@link #SAMPLES} labelled training samples where the job has labels; else, for a classifier's output
 * ([batch, classes]), by how often the two models' top classes differ on the job's samples, which bounds the
 * drop, since top-1 can only fall where the prediction changes; other outputs (an embedding, a single score) are not
 * judged without labels, nor is a job without samples (random inputs are not the model's data: on the openWakeWord
 * timer head the top class moved on 2 of 64 of them at energy 0.95). A method's defaults answer to {@link #DEFAULT_MAX_DROP} (a request that names
 * a size asks for what it costs), and a request's own maxAccuracyDrop to itself.
 */
public final class AccuracyGuard {

    /** The most a method's defaults may cost: 2 points of top-1. */
    public static final double DEFAULT_MAX_DROP = 0.02;
    /** Samples measured (the dataset's first): 0.05 point of top-1 per sample. */
    public static final int SAMPLES = 2000;
    private static final int BATCH = 250;

    /**
     * @param within whether the drop (or the disagreement bounding it) is at most the bound, or cannot be judged
     * @param note   what was measured, for the layers' notes and the job's events
     */
    public record Verdict(boolean within, String note) {
    }

    private AccuracyGuard() {
    }

    public static Verdict check(ModelProto original, ModelProto compressed, Optional<Dataset> data, double maxDrop) {
        Optional<Dataset> labelled = data.filter(Dataset::labelled);
        if (labelled.isPresent()) {
            int samples = Math.min(SAMPLES, labelled.get().size());
            double before = Evaluator.top1(original, labelled.get(), samples, BATCH);
            double after = Evaluator.top1(compressed, labelled.get(), samples, BATCH);
            double drop = before - after;
            return new Verdict(drop <= maxDrop, String.format(Locale.ROOT, "top-1 %.4f against the original's %.4f "
                    + "on %,d labelled training samples (%.2f points lost, at most %.2f allowed)", after, before,
                    samples, 100 * drop, 100 * maxDrop));
        }
        if (data.isEmpty()) {
            // random inputs are not the model's data: how often its top class moves on them says little of top-1
            return new Verdict(true, "not judged: the job has no samples to measure on");
        }
        if (!scoresPerClass(original)) {
            return new Verdict(true, "not judged: without labels the bound is read from changed top classes, and "
                    + "the model's first output is not one score per class ([batch, classes])");
        }
        EvaluationOptions options = EvaluationOptions.defaults().withBatchSize(BATCH).withMaxSamples(SAMPLES);
        OutputAgreement agreement = Evaluator.compare(original, compressed, data, options);
        double changed = 1 - agreement.argmaxAgreement();
        return new Verdict(changed <= maxDrop, String.format(Locale.ROOT, "the top class changed on %.2f %% of %,d "
                + "%s (top-1 can fall by at most that much; at most %.2f allowed)", 100 * changed,
                agreement.samples(), "training samples", 100 * maxDrop));
    }

    /** Whether the first output is declared [batch, classes] with at least two classes: a classifier's scores. */
    private static boolean scoresPerClass(ModelProto model) {
        List<TensorSpec> outputs = ModelInspector.inspect(model).outputs();
        if (outputs.isEmpty() || outputs.get(0).shape().size() != 2) {
            return false;
        }
        return outputs.get(0).shape().get(1) instanceof Number classes && classes.longValue() >= 2;
    }
}
