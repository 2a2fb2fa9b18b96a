package io.caas.service.job;

import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A request to compress a model.
 *
 * @param parameters     method parameters, as listed by GET /v1/methods
 * @param trainDatasetId data to fine-tune on (optional: without it a method runs without fine-tuning)
 * @param evalDatasetId  held-out data to measure accuracy on (optional)
 * @param measure        what the report measures besides ONNX Runtime's latency and accuracy (optional)
 */
public record JobRequest(@NotNull UUID modelId,
                         @NotBlank String method,
                         Map<String, Object> parameters,
                         UUID trainDatasetId,
                         UUID evalDatasetId,
                         @Valid Budget budget,
                         @Valid Target target,
                         @Valid Measure measure) {

    public JobRequest(UUID modelId, String method, Map<String, Object> parameters, UUID trainDatasetId,
                      UUID evalDatasetId, Budget budget, Target target) {
        this(modelId, method, parameters, trainDatasetId, evalDatasetId, budget, target, null);
    }

    /**
     * Optional measurements, off unless asked for.
     *
     * @param interpreterLatency also time both models in the engine's own interpreter (the runtime fine-tuning uses,
     *                           on the worker's device) at batch 1 and the evaluation batch size. Off by default: it
     *                           says how fast training-time inference is, not serving, and on a small job it can take
     *                           most of the job's time
     */
    public record Measure(Boolean interpreterLatency) {

        static final Measure DEFAULT = new Measure(false);

        boolean interpreter() {
            return Boolean.TRUE.equals(interpreterLatency);
        }
    }

    /**
     * How much fine-tuning a job may do, and what it trains: {@code train} names the kinds of weights (see
     * {@link io.caas.engine.train.TrainableGroup}); absent, the weights the method wrote and the other layers train,
     * embeddings and normalisation stay frozen.
     */
    public record Budget(@Positive @Max(1000) Integer epochs,
                         @Positive Long maxSteps,
                         @Positive @Max(65536) Integer batchSize,
                         @Positive @DecimalMax("10") Double learningRate,
                         @ArraySchema(arraySchema = @Schema(description = "The kinds of weights fine-tuning trains: "
                                 + "compressed (what the method wrote), other (every other layer and bias), "
                                 + "normalization (scale and shift of LayerNorm, BatchNorm and the like), embeddings "
                                 + "(tables read through Gather). Default: compressed and other."),
                                 schema = @Schema(allowableValues = {"compressed", "other", "normalization",
                                         "embeddings"})) List<String> train,
                         @Schema(description = "How Adam updates the embedding tables it trains (train must name "
                                 + "embeddings): dense (every row every step, PyTorch's default) or sparse (only the "
                                 + "rows each batch reads, their moments included, as PyTorch's SparseAdam; the "
                                 + "table's gradient and update then follow the batch, not the table). Default: dense.",
                                 allowableValues = {"dense", "sparse"}) String embeddingUpdates) {

        public Budget(Integer epochs, Long maxSteps, Integer batchSize, Double learningRate) {
            this(epochs, maxSteps, batchSize, learningRate, null, null);
        }
    }

    /**
     * What the user is aiming for.
     *
     * @param maxAccuracyDrop  largest acceptable top-1 drop, as a fraction (0.01 = one point)
     * @param compressionRatio the whole model's parameters after / before to aim for; methods that take a parameter
     *                         budget (targetParameters) are steered to it, the others are checked against it
     * @param speedup          how many times faster than the original the compressed model should run in ONNX
     *                         Runtime at the evaluation batch size (paired rounds, median); svd chooses its ranks for
     *                         it (targetSpeedup) where the parameters do not choose the size, and methods with a
     *                         per-layer speed check (svd's and oialr's onlyIfFaster, on by default) time it at that
     *                         batch size and keep no layer in a form that times slower than dense
     */
    public record Target(@DecimalMin("0") @DecimalMax("1") Double maxAccuracyDrop,
                         @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double compressionRatio,
                         @DecimalMin("1") @DecimalMax("1000") Double speedup) {

        public Target(Double maxAccuracyDrop, Double compressionRatio) {
            this(maxAccuracyDrop, compressionRatio, null);
        }
    }
}
