package io.caas.engine.eval;

/**
 * Size, speed and accuracy of one model, measured alike for the original and every compressed version.
 *
 * @param parameters      elements in the floating-point weights
 * @param serializedBytes size of the ONNX file
 * @param batch1          latency of one sample
 * @param batchN          latency of {@link EvaluationOptions#batchSize()} samples (looped if batchFixedToOne)
 * @param batchFixedToOne the model's input declares batch 1, so batch N could not be run as one call
 * @param top1Accuracy    fraction of labelled samples whose predicted class is the label; null without labels
 * @param evaluatedSamples samples the accuracy was computed over
 */
public record ModelMeasurements(long parameters, long serializedBytes, LatencyStats batch1, LatencyStats batchN,
                                boolean batchFixedToOne, Double top1Accuracy, int evaluatedSamples) {
}
