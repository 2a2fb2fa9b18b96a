package io.caas.engine.compress;

import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.WeightedLayer;
import java.util.List;
import java.util.Set;

/**
 * Which of a method's eligible layers a request asks it to rewrite: the layers it names, or else every one but the
 * first convolution and the last layer when {@code skipFirstAndLast} holds (they hold few parameters and their error
 * reaches the output undamped).
 *
 * @param requested the layers named in the request, empty for all
 * @param firstConv the first convolution among the eligible layers, or null
 * @param last      the last eligible layer, or null
 */
public record LayerSelection(Set<String> requested, boolean skipFirstAndLast, String firstConv, String last) {

    /** Over a method's eligible layers, in node order. */
    public static LayerSelection of(List<WeightedLayer> eligible, Set<String> requested, boolean skipFirstAndLast) {
        String firstConv = eligible.stream().filter(l -> l.kind() == LayerKind.CONV).map(WeightedLayer::node)
                .findFirst().orElse(null);
        String last = eligible.isEmpty() ? null : eligible.get(eligible.size() - 1).node();
        return new LayerSelection(requested, skipFirstAndLast, firstConv, last);
    }

    /**
     * Why the request leaves this layer out, or null when it is selected.
     *
     * @param leftAs how the method words a layer it leaves ("kept dense", "left as it was")
     */
    public String skipReason(WeightedLayer layer, String leftAs) {
        if (!requested.isEmpty()) {
            return requested.contains(layer.node()) ? null : "not among the requested layers";
        }
        if (skipFirstAndLast && layer.node().equals(firstConv)) {
            return "first convolution, " + leftAs + " (skipFirstAndLast)";
        }
        if (skipFirstAndLast && layer.node().equals(last)) {
            return "last layer, " + leftAs + " (skipFirstAndLast)";
        }
        return null;
    }
}
