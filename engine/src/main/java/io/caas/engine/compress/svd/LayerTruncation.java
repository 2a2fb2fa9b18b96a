package io.caas.engine.compress.svd;

import io.caas.engine.compress.CompactSvd;
import io.caas.engine.compress.FactorizedExport;
import java.util.function.IntFunction;

/**
 * One layer's weight decomposed for truncation, plainly or whitened by its inputs, in the channel or the spatial
 * form: its spectrum, from which a rank is chosen, and the two factors at a rank, laid out as the layers that
 * replace it.
 *
 * @param rows           the factorized matrix's first side; a rank costs rows + cols parameters
 * @param cols           its second side
 * @param singularValues descending; only read
 * @param whitened       the spectrum is of the weight whitened by its inputs, so its energy is the output's
 * @param energyOf       what the energy measures, for notes: the weight's, or its output's on calibration data
 * @param factors        the replacement at a rank
 */
record LayerTruncation(int rows, int cols, double[] singularValues, boolean whitened, String energyOf,
                       IntFunction<FactorizedExport.Replacement> factors) {

    int fullRank() {
        return singularValues.length;
    }

    /** Fraction of Σσ² the first r singular values hold. */
    double energyAt(int r) {
        return CompactSvd.energyAt(singularValues, r);
    }

    /** Smallest r whose singular values hold at least {@code energy} of Σσ². */
    int rankForEnergy(double energy) {
        return CompactSvd.rankForEnergy(singularValues, energy);
    }

    FactorizedExport.Replacement replacement(int r) {
        return factors.apply(r);
    }

    /**
     * The ranks at which the two factors hold each of {@code shares} of the dense layer's parameters (rank =
     * share·rows·cols/(rows+cols), at least 1), ascending and distinct, each smaller than the dense layer.
     */
    int[] ranksAtShares(double[] shares) {
        double breakEven = breakEven();
        return java.util.Arrays.stream(shares).mapToInt(q -> Math.max(1, (int) Math.floor(q * breakEven)))
                .filter(r -> r < breakEven && r <= fullRank()).distinct().sorted().toArray();
    }

    /** The rank at which the two factors hold as many parameters as the dense layer: below it they are smaller. */
    double breakEven() {
        return (double) rows * cols / (rows + cols);
    }
}
