package io.caas.engine.testing;

import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.SpeedCheck;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A speed check whose verdicts the test fixes instead of timing: the layers named slower are slower, every other
 * faster, the whole model as told. It records what it was asked, so a test can say which layers were timed alone.
 */
public final class FixedSpeedCheck implements SpeedCheck {

    private final Set<String> slower;
    private final boolean wholeFaster;
    /** The nodes whose replacement was timed alone, in order. */
    public final List<String> layersAsked = new ArrayList<>();
    /** The batch sizes the check was made for, one per model the method timed. */
    public final List<Integer> batchSizes = new ArrayList<>();
    /** The whole compressed models the check was asked to time, in order. */
    public final List<ModelProto> modelsAsked = new ArrayList<>();

    public FixedSpeedCheck(Set<String> slower, boolean wholeFaster) {
        this.slower = slower;
        this.wholeFaster = wholeFaster;
    }

    /** Every layer faster alone; the whole model as told. */
    public FixedSpeedCheck(boolean wholeFaster) {
        this(Set.of(), wholeFaster);
    }

    /** What a method takes in place of {@link SpeedCheck.Factory#ONNX_RUNTIME}: this check, whatever the model. */
    public SpeedCheck.Factory factory() {
        return (model, nodes, data, batch) -> {
            batchSizes.add(batch);
            return this;
        };
    }

    @Override
    public Verdict check(FactorizedExport.Replacement r) {
        layersAsked.add(r.nodeName());
        boolean faster = !slower.contains(r.nodeName());
        return new Verdict(faster, "judged " + (faster ? "faster" : "slower") + " by the test");
    }

    @Override
    public Verdict checkModel(ModelProto compressed) {
        modelsAsked.add(compressed);
        return new Verdict(wholeFaster, "the whole model judged " + (wholeFaster ? "faster" : "slower")
                + " by the test");
    }
}
