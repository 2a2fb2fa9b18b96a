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
    /** How many times the whole compressed model was timed. */
    public int modelsAsked;

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
        return new Verdict(!slower.contains(r.nodeName()), "judged by the test");
    }

    @Override
    public Verdict checkModel(ModelProto compressed) {
        modelsAsked++;
        return new Verdict(wholeFaster, "the whole model judged by the test");
    }
}
