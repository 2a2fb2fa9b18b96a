package io.caas.engine.compress.tied;

import io.caas.engine.onnx.WeightedLayer;
import java.util.List;

/**
 * Two layers d→h and h→d joined by elementwise operations only, whose weights can be one matrix W (d × h) used as
 * W by the first and as Wᵀ by the second.
 *
 * @param firstIndex  node index of the d→h layer
 * @param secondIndex node index of the h→d layer
 * @param path        operator types from the first layer to the second, both included, in visiting order
 */
record TiedPair(WeightedLayer first, int firstIndex, WeightedLayer second, int secondIndex, int d, int h,
                List<String> path) {

    String name() {
        return first.node() + "+" + second.node();
    }

    /** Weight elements of the two layers; tying keeps half of them. */
    long parametersBefore() {
        return 2L * d * h;
    }

    long parametersAfter() {
        return (long) d * h;
    }
}
