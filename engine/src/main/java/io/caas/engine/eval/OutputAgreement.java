package io.caas.engine.eval;

/**
 * How closely a compressed model follows the original on the same inputs, usable without labels.
 *
 * @param argmaxAgreement   fraction of samples where both models pick the same class (largest output)
 * @param meanCosine        mean over samples of the cosine similarity of the two output vectors
 * @param meanRelativeError mean over samples of ||compressed - original|| / ||original||
 * @param maxAbsDiff        largest absolute difference of any output element
 * @param outputsPerSample  values per sample in the output compared (the first)
 * @param correlation       Pearson correlation of the two models' output values, over every sample and element;
 *                          null where either model's outputs do not vary
 * @param measure           which figures say how closely the outputs follow: {@link #BY_ARGMAX} for class scores
 *                          (argmaxAgreement, then meanCosine), known as such where the data is labelled or the
 *                          output comes from a Softmax; {@link #BY_COSINE} for several values per sample not known to
 *                          be class scores (an embedding, a regression vector: meanCosine and meanRelativeError, the
 *                          argmax of such a vector picking no class); {@link #BY_CORRELATION} for one value per sample
 *                          (a score or a regression), where the argmax of one value always agrees and the cosine of
 *                          two numbers is only their signs' agreement
 */
public record OutputAgreement(int samples, double argmaxAgreement, double meanCosine, double meanRelativeError,
                              double maxAbsDiff, int outputsPerSample, Double correlation, String measure) {

    public static final String BY_ARGMAX = "argmax";
    public static final String BY_COSINE = "cosine";
    public static final String BY_CORRELATION = "correlation";

    /** Which measure applies to outputs of {@code width} values per sample, class scores or not. */
    static String measureFor(int width, boolean classScores) {
        return width <= 1 ? BY_CORRELATION : classScores ? BY_ARGMAX : BY_COSINE;
    }
}
