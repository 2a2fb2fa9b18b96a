package io.caas.engine.compress;

import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.Map;

/** A way to make a model smaller. Implementations are stateless; one instance serves every job. */
public interface CompressionMethod {

    MethodDescriptor descriptor();

    /** Whether this method can rewrite the layer, for listings; by default, any layer of a kind it names. */
    default boolean appliesTo(WeightedLayer layer) {
        return descriptor().layerKinds().contains(layer.kind());
    }

    /**
     * Checks parameters against the method's documented ranges and against the model (layer names exist, ...),
     * before any work is queued.
     *
     * @throws InvalidParametersException listing every problem
     */
    void validate(Map<String, Object> parameters, ModelSummary model);

    CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException;
}
