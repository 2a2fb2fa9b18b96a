package io.caas.engine.compress;

import io.caas.engine.compress.FactorizedExport;
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
     * @param faster        whether the compressed form was faster at batch 1 and at the larger batch
     * @param note          the measured ratios, for the layer's report
     * @param ratioAtOne    the compressed form's time over the dense form's at batch 1 (median of paired rounds);
     *                      NaN where not timed
     * @param ratioAtBatch  the same at the larger batch
     * @param denseMillis   the dense form's median time at the larger batch (a layer alone, or the whole original);
     *                      NaN where not timed
     */
    record Verdict(boolean faster, String note, double ratioAtOne, double ratioAtBatch, double denseMillis) {

        /** A verdict without figures (a test's, or a layer that could not be timed). */
        public Verdict(boolean faster, String note) {
            this(faster, note, Double.NaN, Double.NaN, Double.NaN);
        }

        /** The dense form's time saved at the larger batch, in ms; 0 where not timed or not faster. */
        public double savedMillis() {
            return Double.isNaN(denseMillis) || Double.isNaN(ratioAtBatch) ? 0
                    : Math.max(0, denseMillis * (1 - ratioAtBatch));
        }
    }

    /** The replacement of its node timed against the node as it is. */
    Verdict check(FactorizedExport.Replacement replacement);

    /** The compressed model timed against the original, in paired rounds. */
    Verdict checkModel(ModelProto compressed);

    /** The same check, answering again from memory for a replacement of the same node and factor shapes. */
    static SpeedCheck remembering(SpeedCheck check) {
        return new RememberedSpeedCheck(check);
    }

    /** Makes the check for one model, its layers at the given node indices, at batch 1 and {@code batchSize}. */
    @FunctionalInterface
    interface Factory {

        /** Times in ONNX Runtime. */
        Factory ONNX_RUNTIME = LayerSpeedCheck::of;

        SpeedCheck of(ModelProto model, List<Integer> nodeIndices, Optional<Dataset> data, int batchSize);
    }
}
