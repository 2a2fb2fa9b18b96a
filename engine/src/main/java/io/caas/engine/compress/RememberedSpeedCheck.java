package io.caas.engine.compress;

import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@link SpeedCheck} that times each layer form once. A replacement's time depends on its node and the shapes of
 * its factors, not on their values, so a rank chosen from timings and then refitted (the sequential whitening
 * corrects the factors towards the original's output) is judged by the timing that chose it instead of a second,
 * noisier one that could disagree.
 */
final class RememberedSpeedCheck implements SpeedCheck {

    private final SpeedCheck check;
    private final Map<String, Verdict> verdicts = new HashMap<>();

    RememberedSpeedCheck(SpeedCheck check) {
        this.check = check;
    }

    @Override
    public Verdict check(FactorizedExport.Replacement r) {
        String key = r.nodeIndex() + ":" + Arrays.toString(r.firstDims()) + Arrays.toString(r.middleDims())
                + Arrays.toString(r.secondDims()) + r.spatial();
        Verdict known = verdicts.get(key);
        if (known == null) {
            known = check.check(r);
            verdicts.put(key, known);
        }
        return known;
    }

    @Override
    public Verdict checkModel(ModelProto compressed) {
        return check.checkModel(compressed);
    }
}
