package io.caas.engine.compress.tensor;

import ai.djl.Device;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.WeightExport;
import io.caas.engine.train.FineTuner;
import io.caas.engine.train.TrainingConfig;
import java.util.List;

/**
 * Trains every weight of the factorized model through the interpreter (the factor convolutions included; the
 * structure stays as exported): cross-entropy where the data has labels, else distillation of the original's
 * outputs. The loss becomes the "loss" curve.
 */
final class FactorFineTuning {

    /** As svd's fine-tuning, for the same reason: the factorized model starts near a trained optimum. */
    static final double DEFAULT_LEARNING_RATE = 1e-4;
    static final int DEFAULT_BATCH_SIZE = 64;

    private FactorFineTuning() {
    }

    /** @param from the progress fraction already reached; fine-tuning fills the rest */
    static ModelProto run(ModelProto original, ModelProto factorized, CompressionTask task, double from,
                          ProgressListener progress, List<double[]> loss) throws InterruptedException {
        Dataset data = task.trainData().orElseThrow();
        TrainingBudget.Resolved b = (task.budget() == null ? TrainingBudget.DEFAULTS : task.budget())
                .resolve(DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE, 1);
        ProgressListener scaled = new ProgressListener() {
            @Override
            public void progress(double fraction, String message) {
                progress.progress(from + (1 - from) * fraction, "fine-tuning: " + message);
            }

            @Override
            public void metric(String name, long step, double value) {
                if (name.equals("loss")) {
                    loss.add(new double[] {step, value});
                }
                progress.metric(name, step, value);
            }
        };
        TrainingConfig cfg = new TrainingConfig(TrainingConfig.OptimizerKind.ADAM, (float) b.learningRate(),
                b.batchSize(), b.epochs(), b.maxSteps(), TrainingConfig.Objective.AUTO, 1f, 1L);
        try (InterpretedModel teacher = data.labelled() ? null : OnnxInterpreter.load(original, Device.cpu());
             InterpretedModel student = OnnxInterpreter.load(factorized, Device.cpu())) {
            FineTuner.train(student, data, teacher, cfg, scaled);
            return WeightExport.withTrainedWeights(factorized, student.block());
        }
    }
}
