package io.caas.engine.compress;

import ai.djl.Device;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a method needs for one run. Cancellation is the worker thread's interrupt flag: methods check
 * {@link Thread#interrupted()} between steps and throw {@link InterruptedException}.
 *
 * @param parameters method parameters as given by the user (validated by the method)
 * @param trainData  data for fine-tuning, if the job has any
 * @param evalData   held-out data for accuracy, if the job has any
 * @param budget     fine-tuning limits set by the user; methods that do not fine-tune ignore it
 * @param trainingDevice where fine-tuning runs (the worker's, not the user's, choice: {@link
 *                   io.caas.engine.runtime.DeviceChoice}); the passes that only fit or calibrate stay on the CPU
 */
public record CompressionTask(ModelProto model, Map<String, Object> parameters, Optional<Dataset> trainData,
                              Optional<Dataset> evalData, TrainingBudget budget, Device trainingDevice) {

    public CompressionTask(ModelProto model, Map<String, Object> parameters, Optional<Dataset> trainData,
                           Optional<Dataset> evalData) {
        this(model, parameters, trainData, evalData, TrainingBudget.DEFAULTS);
    }

    public CompressionTask(ModelProto model, Map<String, Object> parameters, Optional<Dataset> trainData,
                           Optional<Dataset> evalData, TrainingBudget budget) {
        this(model, parameters, trainData, evalData, budget, Device.cpu());
    }

    /** The same task under another fine-tuning budget. */
    public CompressionTask withBudget(TrainingBudget newBudget) {
        return new CompressionTask(model, parameters, trainData, evalData, newBudget, trainingDevice);
    }
}
