package io.caas.service.job;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import java.util.Map;
import java.util.UUID;

/**
 * A request to compress a model.
 *
 * @param parameters     method parameters, as listed by GET /v1/methods
 * @param trainDatasetId data to fine-tune on (optional: without it a method runs without fine-tuning)
 * @param evalDatasetId  held-out data to measure accuracy on (optional)
 */
public record JobRequest(@NotNull UUID modelId,
                         @NotBlank String method,
                         Map<String, Object> parameters,
                         UUID trainDatasetId,
                         UUID evalDatasetId,
                         @Valid Budget budget,
                         @Valid Target target) {

    /** How much fine-tuning a job may do. */
    public record Budget(@Positive @Max(1000) Integer epochs,
                         @Positive Long maxSteps,
                         @Positive @Max(65536) Integer batchSize,
                         @Positive @DecimalMax("10") Double learningRate) {
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
