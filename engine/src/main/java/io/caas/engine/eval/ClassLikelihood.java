package io.caas.engine.eval;

/** The log-probability a classifier's output gives one class, whatever form the head leaves its scores in. */
final class ClassLikelihood {

    /** A probability's floor: a compressed model that gives the true class exactly 0 costs a bounded amount. */
    private static final double FLOOR = 1e-12;
    /** How far from 1 a row of probabilities may sum (float32 softmax rounding). */
    private static final double SUM_TOLERANCE = 1e-3;

    private ClassLikelihood() {
    }

    /**
     * log p(label): a single score is a sigmoid head's probability of class 1; scores that are non-negative and sum
     * to 1 are probabilities already; anything else is logits, through log-softmax.
     */
    static double logProbability(float[] scores, int label) {
        if (scores.length == 1) {
            double p = label == 1 ? scores[0] : 1 - scores[0];
            return Math.log(Math.max(p, FLOOR));
        }
        if (label < 0 || label >= scores.length) {
            throw new IllegalArgumentException("label " + label + " outside the model's " + scores.length
                    + " classes");
        }
        if (areProbabilities(scores)) {
            return Math.log(Math.max(scores[label], FLOOR));
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0;
        for (float s : scores) {
            sum += Math.exp(s - max);
        }
        return scores[label] - max - Math.log(sum);
    }

    private static boolean areProbabilities(float[] scores) {
        double sum = 0;
        for (float s : scores) {
            if (s < 0 || s > 1) {
                return false;
            }
            sum += s;
        }
        return Math.abs(sum - 1) < SUM_TOLERANCE;
    }
}
