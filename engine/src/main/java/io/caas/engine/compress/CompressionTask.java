package io.caas.engine.compress;

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
 */
public record CompressionTask(ModelProto model, Map<String, Object> parameters, Optional<Dataset> trainData,
                              Optional<Dataset> evalData, TrainingBudget budget) {

    public CompressionTask(ModelProto model, Map<String, Object> parameters, Optional<Dataset> trainData,
                           Optional<Dataset> evalData) {
        this(model, parameters, trainData, evalData, TrainingBudget.DEFAULTS);
    }
}
