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
 */
public record CompressionTask(ModelProto model, Map<String, Object> parameters, Optional<Dataset> trainData,
                              Optional<Dataset> evalData) {
}
