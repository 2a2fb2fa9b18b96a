package io.caas.engine.compress.ldr;

import java.util.Set;

/**
 * Whether a model can take the DFT operator, which ONNX has from opset 17 on, and at which opset. A model at opset
 * 13 to 16 is raised to 17: no operator changed meaning between them except RoiAlign (its coordinate mode changed
 * default at 16). Below 13, Squeeze, Unsqueeze, Split and the Reduce operators took their axes as attributes, so
 * raising the opset would change what those nodes mean.
 *
 * @param opset   the default-domain opset the model gets (its own where it is 17 or later), or 0 when refused
 * @param refusal why the model cannot take DFT, else null
 */
record DftOpset(long opset, String refusal) {

    static final long DFT_SINCE = 17;
    /** From opset 20 on DFT reads its axis from an input instead of an attribute. */
    static final long AXIS_AS_INPUT_SINCE = 20;
    /** IR version 8 came with opset 17. */
    static final long IR_VERSION = 8;

    static DftOpset of(long opset, Set<String> operators) {
        if (opset >= DFT_SINCE) {
            return new DftOpset(opset, null);
        }
        if (opset < 13) {
            return new DftOpset(0, "the model's opset " + opset + " predates 13; raising it to 17 for DFT would "
                    + "change how its Squeeze, Unsqueeze, Split and Reduce nodes read their axes");
        }
        if (opset < 16 && operators.contains("RoiAlign")) {
            return new DftOpset(0, "the model has RoiAlign, whose default coordinate mode changed at opset 16, and "
                    + "is at opset " + opset + "; DFT needs 17");
        }
        return new DftOpset(DFT_SINCE, null);
    }

    boolean possible() {
        return refusal == null;
    }
}
