package io.caas.engine.eval;

/**
 * How closely a compressed model follows the original on the same inputs, usable without labels.
 *
 * @param argmaxAgreement   fraction of samples where both models pick the same class (largest output)
 * @param meanCosine        mean over samples of the cosine similarity of the two output vectors
 * @param meanRelativeError mean over samples of ||compressed - original|| / ||original||
 * @param maxAbsDiff        largest absolute difference of any output element
 */
public record OutputAgreement(int samples, double argmaxAgreement, double meanCosine, double meanRelativeError,
                              double maxAbsDiff) {
}
