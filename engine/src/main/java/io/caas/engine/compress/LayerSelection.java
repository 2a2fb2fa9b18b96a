package io.caas.engine.compress;

import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.WeightedLayer;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which of a method's eligible layers a request asks it to rewrite: the layers it names, or else every one but the
 * first and the last when {@code skipFirstAndLast} holds. "First" is the first convolution, or, in a model whose
 * first eligible layer is dense and small (under {@link #SMALL_FIRST_LAYER} of the eligible parameters: an input
 * projection such as a Transformer's 28→128 embedding of image rows), that layer. Both hold few parameters and
 * their error reaches the output undamped; a small input projection cut below its input width loses information
 * no later layer can recover.
 *
 * @param requested the layers named in the request, empty for all
 * @param first     the first layer to keep (the first convolution, or a small first dense layer), or null
 * @param firstWhy  how the first layer is described in its skip reason
 * @param last      the last eligible layer, or null
 */
public record LayerSelection(Set<String> requested, boolean skipFirstAndLast, String first, String firstWhy,
                             String last) {

    /**
     * The share of the eligible layers' parameters under which a dense first layer counts as an input projection:
     * the Transformer encoder of issue 20 has its 28→128 projection at 1.3 %; an MLP's first layer, which is most
     * of it, stays eligible.
     */
    public static final double SMALL_FIRST_LAYER = 0.05;

    /** Over a method's eligible layers, in node order. */
    public static LayerSelection of(List<WeightedLayer> eligible, Set<String> requested, boolean skipFirstAndLast) {
        String last = eligible.isEmpty() ? null : eligible.get(eligible.size() - 1).node();
        String firstConv = eligible.stream().filter(l -> l.kind() == LayerKind.CONV).map(WeightedLayer::node)
                .findFirst().orElse(null);
        if (firstConv != null || eligible.size() < 3) {
            return new LayerSelection(requested, skipFirstAndLast, firstConv, "first convolution", last);
        }
        WeightedLayer first = eligible.get(0);
        long total = eligible.stream().mapToLong(WeightedLayer::parameters).sum();
        double share = (double) first.parameters() / total;
        if (first.kind() != LayerKind.DENSE || share >= SMALL_FIRST_LAYER) {
            return new LayerSelection(requested, skipFirstAndLast, null, null, last);
        }
        return new LayerSelection(requested, skipFirstAndLast, first.node(), String.format(Locale.ROOT,
                "first layer, an input projection with %.1f %% of the parameters", 100 * share), last);
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
        if (skipFirstAndLast && layer.node().equals(first)) {
            return firstWhy + ", " + leftAs + " (skipFirstAndLast)";
        }
        if (skipFirstAndLast && layer.node().equals(last)) {
            return "last layer, " + leftAs + " (skipFirstAndLast)";
        }
        return null;
    }
}
