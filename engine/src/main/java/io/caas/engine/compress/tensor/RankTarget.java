package io.caas.engine.compress.tensor;

/** How one layer's ranks are chosen. */
sealed interface RankTarget {

    /** Keep at least this fraction of the kernel's squared norm: relative error ≤ √(1 − energy). */
    record Energy(double fraction) implements RankTarget {
    }

    /** Keep at most this fraction of the layer's parameters. */
    record Ratio(double fraction) implements RankTarget {
    }

    /** Ranks given by the user (capped at what the kernel's shape allows). */
    record Explicit(int[] ranks) implements RankTarget {
    }
}
