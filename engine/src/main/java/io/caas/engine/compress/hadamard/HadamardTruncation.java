package io.caas.engine.compress.hadamard;

import io.caas.engine.onnx.BilinearForm;
import io.caas.engine.onnx.BilinearLayers;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One bilinear layer ready to take its Hadamard form at any rank: its fitted tensor, and the CP fit at a rank,
 * computed once per rank. What the bilinear method does for its one rank, for a caller that tries several (svd's
 * speed target).
 */
public final class HadamardTruncation {

    /** Chosen: ALS on these small tensors settles within tens of sweeps; it also stops once the error stalls. */
    public static final int SWEEPS = 50;
    private static final long SEED = 29;

    private final WeightedLayer layer;
    private final BilinearForm form;
    private final FittedTensor tensor;
    private final Map<Integer, CpDecomposition.Factors> fits = new HashMap<>();

    private HadamardTruncation(WeightedLayer layer, BilinearForm form, FittedTensor tensor) {
        this.layer = layer;
        this.form = form;
        this.tensor = tensor;
    }

    /** Every bilinear layer of the model that can take the Hadamard form ({@link #unfitReason} is null). */
    public static List<HadamardTruncation> of(ModelProto model, ModelSummary summary) {
        GraphProto graph = model.getGraph();
        Weights weights = Weights.of(graph);
        List<HadamardTruncation> all = new ArrayList<>();
        BilinearLayers.byNode(graph).forEach((index, form) -> {
            String name = ModelInspector.nodeName(graph.getNode(index), index);
            summary.layers().stream().filter(l -> l.kind() == LayerKind.BILINEAR && l.node().equals(name))
                    .findFirst().filter(l -> unfitReason(l, weights, graph) == null)
                    .ifPresent(l -> all.add(new HadamardTruncation(l, form, FittedTensor.of(form, weights))));
        });
        return all;
    }

    /** Why a bilinear layer cannot be rewritten (its weight is not float32, or other nodes read it), or null. */
    public static String unfitReason(WeightedLayer layer, Weights weights, GraphProto graph) {
        if (weights.get(layer.weight()).map(TensorProto::getDataType).orElse(-1)
                != TensorProto.DataType.FLOAT_VALUE) {
            return "weight is not float32";
        }
        long users = graph.getNodeList().stream().filter(n -> n.getInputList().contains(layer.weight())).count();
        return users > 1 ? "weight shared by " + users + " nodes" : null;
    }

    public WeightedLayer layer() {
        return layer;
    }

    /** The rank at which the Hadamard form is exact. */
    public int exactRank() {
        return tensor.exactRank();
    }

    public long parametersAt(int rank) {
        return tensor.parametersAt(rank);
    }

    /**
     * The ranks at which the form holds each of {@code shares} of the layer's parameters, ascending and distinct,
     * each smaller than the layer and below the exact rank.
     */
    public int[] ranksAtShares(double[] shares) {
        long perRank = tensor.parametersAt(1);
        return Arrays.stream(shares).mapToInt(q -> Math.max(1, (int) Math.floor(q * layer.parameters() / perRank)))
                .filter(r -> r < exactRank() && tensor.parametersAt(r) < layer.parameters()).distinct().sorted()
                .toArray();
    }

    /** The layer in its Hadamard form at {@code rank}. */
    public HadamardExport.Replacement replacement(int rank) {
        return HadamardExport.Replacement.fitted(layer.node(), form, fit(rank));
    }

    /** How the fit at {@code rank} went, for the layer's note. */
    public String describe(int rank) {
        CpDecomposition.Factors f = fit(rank);
        return String.format(Locale.ROOT, "Hadamard form of rank %d of %d: CP fit by %d ALS sweeps, relative error "
                + "%.4f", rank, exactRank(), f.sweeps(), f.relativeError());
    }

    private CpDecomposition.Factors fit(int rank) {
        return fits.computeIfAbsent(rank, r -> tensor.fit(r, SWEEPS, SEED));
    }
}
