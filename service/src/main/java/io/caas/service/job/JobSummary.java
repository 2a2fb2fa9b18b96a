package io.caas.service.job;

/**
 * The headline numbers of a finished job, shown in job listings.
 *
 * @param compressionRatio parameters after / parameters before, over the whole model
 * @param accuracyDelta    accuracy after minus before (null without an evaluation dataset)
 * @param targetMet        whether the job's target was met (null without a target, or when it cannot be told)
 * @param slower           the compressed model is slower than the original at batch 1 or batch N in paired
 *                         rounds (the report's {@code speed}); null where latency was not measured
 */
public record JobSummary(long parametersBefore, long parametersAfter, long bytesBefore, long bytesAfter,
                         double compressionRatio, Double accuracyBefore, Double accuracyAfter, Double accuracyDelta,
                         Double latencyBatch1MsBefore, Double latencyBatch1MsAfter, Boolean targetMet,
                         Boolean slower) {
}
