package io.caas.service.job;

import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.onnx.OnnxFormatException;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.service.model.ModelRecord;
import io.caas.service.storage.ArtifactStore;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * A method's own pre-run check ({@link CompressionMethod#check}) on the stored model, at submission: what only the
 * graph and weights tell (tied's layer pairs, float32 or shared weights, a size target the usable layers cannot
 * reach) is refused with the reason then, instead of as a failed job after its wait in the queue. It reads the model
 * in full, as its upload did; a submission costs that much more, the queue and a worker far less.
 */
@Component
class ModelChecks {

    private final ArtifactStore store;

    ModelChecks(ArtifactStore store) {
        this.store = store;
    }

    /** The problems the method finds with these parameters on this model; empty when the job can run. */
    List<String> problems(CompressionMethod method, Map<String, Object> parameters, ModelRecord model,
                          boolean hasTrainingData) {
        ModelProto proto;
        try (ArtifactStore.LocalCopy copy = store.localCopy(model.storageKey())) {
            proto = OnnxModels.read(copy.path());
        } catch (OnnxFormatException e) {
            return List.of("modelId: the stored model no longer parses: " + e.getMessage());
        }
        try {
            method.check(parameters, proto, model.summary(), hasTrainingData);
            return List.of();
        } catch (InvalidParametersException e) {
            return e.problems().stream().map(p -> "parameters: " + p).toList();
        }
    }
}
