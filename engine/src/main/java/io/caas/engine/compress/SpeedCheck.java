package io.caas.engine.compress;

import io.caas.engine.compress.svd.FactorizedExport;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.List;
import java.util.Optional;

/**
 * Whether a compressed form runs faster than the dense one it replaces: one layer's factorized form against the
 * layer as it is, and the compressed model as a whole against the original. {@link LayerSpeedCheck} times both in
 * ONNX Runtime; a method takes a {@link Factory} so that its decisions can be tested with a fixed verdict.
 */
public interface SpeedCheck {

    /**
     * @param faster whether the compressed form was faster at batch 1 and at the larger batch
     * @param note   the measured ratios, for the layer's report
     */
    record Verdict(boolean faster, String note) {
    }

    /** The replacement of its node timed against the node as it is. */
    Verdict check(FactorizedExport.Replacement replacement);

    /** The compressed model timed against the original, in paired rounds. */
    Verdict checkModel(ModelProto compressed);

    /** Makes the check for one model, its layers at the given node indices, at batch 1 and {@code batchSize}. */
    @FunctionalInterface
    interface Factory {

        /** Times in ONNX Runtime. */
        Factory ONNX_RUNTIME = LayerSpeedCheck::of;

        SpeedCheck of(ModelProto model, List<Integer> nodeIndices, Optional<Dataset> data, int batchSize);
    }
}
