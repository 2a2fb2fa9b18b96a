package io.caas.engine.compress.svd;

/**
 * One layer's weight decomposed for truncation, plainly or whitened by its inputs: its spectrum, from which a rank
 * is chosen, and the two factors at a rank, laid out as the layers that replace it.
 */
interface LayerTruncation {

    /** The two sides of the factorized matrix, whose sum a rank costs per rank. */
    int rows();

    int cols();

    int fullRank();

    /** Descending. */
    double[] singularValues();

    /** Fraction of Σσ² the first r singular values hold. */
    double energyAt(int r);

    /** Smallest r whose singular values hold at least {@code energy} of Σσ². */
    int rankForEnergy(double energy);

    /** Whether the spectrum is of the weight whitened by its inputs, whose energy is the output's. */
    boolean whitened();

    /** What the energy measures, for notes: the weight's, or its output's on calibration data. */
    String energyOf();

    FactorizedExport.Replacement replacement(int r);
}
