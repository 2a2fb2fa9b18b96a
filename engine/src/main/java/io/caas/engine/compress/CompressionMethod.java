package io.caas.engine.compress;

import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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

    /**
     * The parameters that choose the size of the result, where the method also takes a whole-model parameter
     * budget ({@link RankBudget#TARGET_PARAMETERS}, one of them); empty for a method that takes no budget.
     */
    default Set<String> sizeParameters() {
        return Set.of();
    }

    /**
     * The parameters with a whole-model parameter budget added, for callers that are given a size to reach (a job's
     * target); empty where the method takes no such budget or the parameters already choose the size.
     */
    default Optional<Map<String, Object>> withParameterBudget(Map<String, Object> parameters, long targetParameters) {
        Set<String> sizing = sizeParameters();
        if (sizing.isEmpty() || sizing.stream().anyMatch(parameters::containsKey)) {
            return Optional.empty();
        }
        Map<String, Object> budgeted = new LinkedHashMap<>(parameters);
        budgeted.put(RankBudget.TARGET_PARAMETERS, targetParameters);
        return Optional.of(budgeted);
    }

    CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException;
}
