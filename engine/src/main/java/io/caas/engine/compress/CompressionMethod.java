package io.caas.engine.compress;

import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
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
     * Whether this method can rewrite the layer where it sits inside an If branch or a Loop/Scan body, for listings;
     * by default none does.
     */
    default boolean appliesInsideSubgraph(WeightedLayer layer) {
        return false;
    }

    /**
     * Checks parameters against the method's documented ranges and against the model (layer names exist, ...),
     * before any work is queued.
     *
     * @throws InvalidParametersException listing every problem
     */
    void validate(Map<String, Object> parameters, ModelSummary model);

    /**
     * Everything {@link #compress} would refuse about this request that the model itself tells, without doing the
     * work: what the summary alone cannot show (layer pairs that exist only in the graph's wiring, weights that are
     * not float32 or are shared, a size target below what the usable layers allow, a setting that needs training
     * data). Run when a job is submitted, so that such a job is refused then with the reason, not failed after its
     * wait in the queue; {@code compress} meets the same conditions with the same problems. By default
     * {@link #validate}, for a method that learns nothing more from the graph.
     *
     * @param summary         the model's summary, as {@code ModelInspector.inspect(model)} gives it
     * @param hasTrainingData whether the job brings a training dataset
     * @throws InvalidParametersException listing every problem
     */
    default void check(Map<String, Object> parameters, ModelProto model, ModelSummary summary,
                       boolean hasTrainingData) {
        validate(parameters, summary);
    }

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

    /**
     * The parameters with a top-1 budget added, for callers given the largest accuracy drop to accept (a job's
     * target.maxAccuracyDrop, a fraction): the method then chooses its sizes to stay within it. Empty where the
     * method takes no such budget or the parameters already choose the size.
     */
    default Optional<Map<String, Object>> withAccuracyBudget(Map<String, Object> parameters, double maxDrop) {
        return Optional.empty();
    }

    /**
     * The parameters with a per-layer speed check turned on, for callers given a speed target: a layer is then
     * kept compressed only where its compressed form times faster than its dense form at {@code batchSize} (and at
     * batch 1). Empty where the method has no such check; the user's own setting of it wins.
     */
    default Optional<Map<String, Object>> withSpeedCheck(Map<String, Object> parameters, int batchSize) {
        return Optional.empty();
    }

    /**
     * The parameters for a speed target (a job's target.speedup, times faster than the original at
     * {@code batchSize}): a method that can choose its sizes for a speed-up does so where the parameters do not
     * choose the size already; otherwise the per-layer speed check ({@link #withSpeedCheck}). Empty where neither
     * applies.
     */
    default Optional<Map<String, Object>> withSpeedTarget(Map<String, Object> parameters, double speedup,
                                                          int batchSize) {
        return withSpeedCheck(parameters, batchSize);
    }

    CompressionResult compress(CompressionTask task, ProgressListener progress) throws InterruptedException;
}
