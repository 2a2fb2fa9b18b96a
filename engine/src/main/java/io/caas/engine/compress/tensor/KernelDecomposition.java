package io.caas.engine.compress.tensor;

/** One way of splitting a convolution kernel into a chain of smaller convolutions. */
interface KernelDecomposition {

    /** How many ranks an explicit per-layer setting has, and what they mean, for the method's documentation. */
    int rankCount();

    String rankMeaning();

    Factorization fit(Kernel kernel, RankTarget target);
}
