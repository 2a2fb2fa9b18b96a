package io.caas.engine.compress.tensor;

import java.util.Arrays;
import java.util.List;

/**
 * A fitted decomposition of one kernel, ready to export.
 *
 * @param ranks          the decomposition's ranks, in the order its method documents
 * @param relativeError  ‖W − Ŵ‖ / ‖W‖ of the kernel the stages compute
 * @param stages         the convolutions replacing the layer, input side first; the last one takes the bias
 */
record Factorization(int[] ranks, double relativeError, List<ConvStage> stages) {

    long parameters() {
        return stages.stream().mapToLong(ConvStage::parameters).sum();
    }

    String ranksText() {
        return Arrays.toString(ranks);
    }
}
