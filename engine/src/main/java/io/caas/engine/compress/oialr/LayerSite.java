package io.caas.engine.compress.oialr;

import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.Subgraphs;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A layer oialr can train in low-rank form, where it sits: the main graph, or an If branch or Loop/Scan body at any
 * depth. A layer inside a subgraph trains like any other (the interpreter runs the branch taken, or every iteration,
 * with autograd), and its factors are written into its own subgraph.
 *
 * @param layer     as the model summary lists it; inside a subgraph, named by its path
 * @param subgraph  the subgraph's path ({@code /If[else_branch]}), or null in the main graph
 * @param nodeIndex the node's index in the graph that holds it
 * @param node      the node
 * @param weight    its weight, held in that graph or an outer scope
 * @param readers   how many nodes, in every scope, read the weight
 */
record LayerSite(WeightedLayer layer, String subgraph, int nodeIndex, NodeProto node, TensorProto weight,
                 long readers) {

    /** Every layer of {@code model} the low-rank methods can factorize: the main graph's, then the subgraphs'. */
    static List<LayerSite> of(ModelProto model, ModelSummary summary) {
        GraphProto main = model.getGraph();
        Weights weights = Weights.inAllScopes(main);
        List<WeightedLayer> layers = summary.layers().stream().filter(LowRankLayers::eligible).toList();
        List<LayerSite> sites = new ArrayList<>();
        LowRankLayers.nodeIndices(model, layers).entrySet().stream()
                .sorted(Map.Entry.comparingByValue())
                .forEach(e -> sites.add(site(e.getKey(), null, e.getValue(), main.getNode(e.getValue()), weights,
                        main)));
        Subgraphs.forEach(main, (path, g) -> {
            for (int i = 0; i < g.getNodeCount(); i++) {
                NodeProto node = g.getNode(i);
                int index = i;
                ModelInspector.weightedLayer(node, Subgraphs.nodePath(path, node, i), weights)
                        .filter(LowRankLayers::eligible)
                        .ifPresent(l -> sites.add(site(l, path, index, node, weights, main)));
            }
        });
        return sites;
    }

    /** The layers {@link #of} gives, from the summary alone (for checks before the model is read). */
    static List<WeightedLayer> layers(ModelSummary summary) {
        return Stream.concat(summary.layers().stream(), summary.subgraphLayers().stream().map(l -> l.layer()))
                .filter(LowRankLayers::eligible).toList();
    }

    private static LayerSite site(WeightedLayer layer, String subgraph, int index, NodeProto node, Weights weights,
                                  GraphProto main) {
        return new LayerSite(layer, subgraph, index, node, weights.get(layer.weight()).orElseThrow(),
                readers(main, layer.weight()));
    }

    private static long readers(GraphProto graph, String value) {
        long n = 0;
        for (NodeProto node : graph.getNodeList()) {
            if (node.getInputList().contains(value)) {
                n++;
            }
            for (AttributeProto a : node.getAttributeList()) {
                if (a.hasG()) {
                    n += readers(a.getG(), value);
                }
            }
        }
        return n;
    }
}
