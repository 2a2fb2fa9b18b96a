package io.caas.engine.compress;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.runtime.DeviceChoice;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.WeightExport;
import io.caas.engine.train.FineTuner;
import io.caas.engine.train.TrainedParameters;
import io.caas.engine.train.TrainingConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fine-tuning of a compressed model as exported, the step most methods end with: the compressed graph is loaded
 * into the interpreter and trained with Adam, by cross-entropy where the job's data has labels (or, where the method
 * asks, by distilling the original's class scores), else by distilling the original model's outputs; the trained weights are written back into the same graph. What trains
 * is the budget's {@code train}: by default the weights the method wrote (those not in the original, or changed)
 * and the other layers, with embeddings and normalisation frozen; the job's log says which and how many.
 *
 * @param batchSize the method's default, used where the job's budget leaves it open (likewise the next two)
 * @param learningRate the method's default Adam rate
 * @param epochs the method's default number of passes
 * @param seed the training seed (data order), so a method's figures stay reproducible
 * @param progressFrom where fine-tuning's share of the job's progress starts
 * @param progressWidth how much of the job's progress fine-tuning fills
 * @param onlyWeights train only these weights, every other one frozen; empty: train all
 * @param distil      with labelled data too, distil the original's class scores (KL divergence at
 *                    {@link #DISTILLATION_TEMPERATURE}) instead of fitting the labels
 */
public record CompressedFineTuning(int batchSize, double learningRate, int epochs, long seed, double progressFrom,
                                   double progressWidth, Set<String> onlyWeights, boolean distil) {

    /**
     * Softens both models' class scores before they are compared, as Hinton et al. (2015) do: the original's
     * ranking of the wrong classes, which labels do not carry, is what a cut model has lost.
     */
    public static final float DISTILLATION_TEMPERATURE = 2f;

    /** The method's defaults, seed 1; fills the whole progress bar until {@link #progress} says otherwise. */
    public static CompressedFineTuning withDefaults(int batchSize, double learningRate, int epochs) {
        return new CompressedFineTuning(batchSize, learningRate, epochs, 1L, 0, 1, Set.of(), false);
    }

    public CompressedFineTuning seed(long newSeed) {
        return new CompressedFineTuning(batchSize, learningRate, epochs, newSeed, progressFrom, progressWidth,
                onlyWeights, distil);
    }

    /** Fine-tuning reports progress from {@code from} to {@code from + width} of the job. */
    public CompressedFineTuning progress(double from, double width) {
        return new CompressedFineTuning(batchSize, learningRate, epochs, seed, from, width, onlyWeights, distil);
    }

    public CompressedFineTuning trainingOnly(Set<String> weights) {
        return new CompressedFineTuning(batchSize, learningRate, epochs, seed, progressFrom, progressWidth,
                Set.copyOf(weights), distil);
    }

    /** Distils the original's class scores even where the data has labels ({@link #distil}). */
    public CompressedFineTuning distilling(boolean distilling) {
        return new CompressedFineTuning(batchSize, learningRate, epochs, seed, progressFrom, progressWidth,
                onlyWeights, distilling);
    }

    /**
     * Trains {@code compressed} on the task's training data within its budget and returns it with the trained
     * weights; the loss per step goes to {@code curves} as "loss".
     */
    public ModelProto run(ModelProto original, ModelProto compressed, CompressionTask task,
                          ProgressListener progress, Map<String, List<double[]>> curves) throws InterruptedException {
        Dataset data = task.trainData().orElseThrow();
        TrainingBudget.Resolved b = (task.budget() == null ? TrainingBudget.DEFAULTS : task.budget())
                .resolve(batchSize, learningRate, epochs);
        List<double[]> loss = new ArrayList<>();
        curves.put("loss", loss);
        boolean soft = distil && data.labelled();
        TrainingConfig cfg = new TrainingConfig(TrainingConfig.OptimizerKind.ADAM, (float) b.learningRate(),
                b.batchSize(), b.epochs(), b.maxSteps(), soft ? TrainingConfig.Objective.KL_DIVERGENCE
                : TrainingConfig.Objective.AUTO, soft ? DISTILLATION_TEMPERATURE : 1f, seed, b.embeddingUpdates());
        Device device = task.trainingDevice();
        try (InterpretedModel teacher = data.labelled() && !soft ? null : OnnxInterpreter.load(original, device);
             InterpretedModel student = OnnxInterpreter.load(compressed, device)) {
            if (!onlyWeights.isEmpty()) {
                for (Map.Entry<String, Parameter> e : student.block().weightParameters().entrySet()) {
                    if (!onlyWeights.contains(e.getKey())) {
                        e.getValue().freeze(true);
                    }
                }
            }
            TrainedParameters scope = TrainedParameters.select(student.block(), written(original, compressed),
                    b.train());
            if (scope.trainedWeights() == 0) {
                progress.progress(progressFrom + progressWidth, "fine-tuning skipped: nothing to train, "
                        + scope.describe());
                return compressed;
            }
            progress.progress(progressFrom, "fine-tuning on the " + DeviceChoice.describe(device) + ": "
                    + scope.describe() + (soft ? String.format(
                    java.util.Locale.ROOT, "; distilling the original's class scores (KL divergence at temperature "
                    + "%.0f) rather than fitting the labels", DISTILLATION_TEMPERATURE) : ""));
            FineTuner.train(student, data, teacher, cfg, scaled(progress, loss));
            return WeightExport.withTrainedWeights(compressed, student.block());
        }
    }

    /** The weights of {@code compressed} that the method wrote: not in {@code original}, or with other values. */
    static Set<String> written(ModelProto original, ModelProto compressed) {
        Map<String, TensorProto> before = Weights.inAllScopes(original.getGraph()).all();
        Set<String> out = new HashSet<>();
        Weights.inAllScopes(compressed.getGraph()).all().forEach((name, t) -> {
            if (!t.equals(before.get(name))) {
                out.add(name);
            }
        });
        return out;
    }

    private ProgressListener scaled(ProgressListener progress, List<double[]> loss) {
        return new ProgressListener() {
            @Override
            public void progress(double fraction, String message) {
                progress.progress(progressFrom + progressWidth * fraction, "fine-tuning: " + message);
            }

            @Override
            public void metric(String name, long step, double value) {
                if (name.equals("loss")) {
                    loss.add(new double[] {step, value});
                }
                progress.metric(name, step, value);
            }
        };
    }
}
