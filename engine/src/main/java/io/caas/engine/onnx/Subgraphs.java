package io.caas.engine.onnx;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.List;

/**
 * The subgraphs of a model (If branches, Loop and Scan bodies, at any depth) named by their path from the main
 * graph, and rewritten in place: the control-flow nodes, their order and every other attribute stay as they were.
 */
public final class Subgraphs {

    private Subgraphs() {
    }

    /** Reads one subgraph, given its path. */
    @FunctionalInterface
    public interface Visit {
        void accept(String path, GraphProto subgraph);
    }

    /** Rewrites one subgraph, given its path; returns it unchanged where there is nothing to do. */
    @FunctionalInterface
    public interface Rewrite {
        GraphProto apply(String path, GraphProto subgraph);
    }

    /**
     * The path of the subgraph held by attribute {@code attribute} of the node at {@code index} of the graph at
     * {@code parent} ("" for the main graph): {@code /If[then_branch]}.
     */
    public static String path(String parent, NodeProto node, int index, String attribute) {
        return parent + slashed(ModelInspector.nodeName(node, index)) + "[" + attribute + "]";
    }

    /** The name of the node at {@code index} of the subgraph at {@code path}: {@code /If[then_branch]/conv/Conv}. */
    public static String nodePath(String path, NodeProto node, int index) {
        return path + slashed(ModelInspector.nodeName(node, index));
    }

    /** The Gemm, MatMul, Conv and recurrent layers of every subgraph of {@code graph}, in depth-first order. */
    public static List<SubgraphLayer> layers(GraphProto graph) {
        Weights weights = Weights.inAllScopes(graph); // a branch may read a weight of any enclosing scope
        List<SubgraphLayer> out = new ArrayList<>();
        forEach(graph, (path, g) -> {
            for (int i = 0; i < g.getNodeCount(); i++) {
                NodeProto node = g.getNode(i);
                ModelInspector.weightedLayer(node, nodePath(path, node, i), weights)
                        .ifPresent(l -> out.add(new SubgraphLayer(path, l)));
            }
        });
        return out;
    }

    /**
     * Every subgraph of {@code graph}, at any depth, a subgraph's own subgraphs before it: the layers of one
     * subgraph are visited together, so listings come grouped by subgraph.
     */
    public static void forEach(GraphProto graph, Visit visit) {
        rewrite(graph, (path, g) -> {
            visit.accept(path, g);
            return g;
        });
    }

    /**
     * {@code graph} with every subgraph, at any depth, replaced by what {@code rewrite} makes of it; a subgraph's
     * own subgraphs are rewritten before it is handed over.
     */
    public static GraphProto rewrite(GraphProto graph, Rewrite rewrite) {
        return rewrite(graph, "", rewrite);
    }

    private static GraphProto rewrite(GraphProto graph, String parent, Rewrite rewrite) {
        GraphProto.Builder out = null;
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto node = graph.getNode(i);
            NodeProto.Builder rewritten = null;
            for (int a = 0; a < node.getAttributeCount(); a++) {
                AttributeProto attribute = node.getAttribute(a);
                if (!attribute.hasG()) {
                    continue;
                }
                String path = path(parent, node, i, attribute.getName());
                GraphProto inner = rewrite.apply(path, rewrite(attribute.getG(), path, rewrite));
                if (!inner.equals(attribute.getG())) {
                    rewritten = rewritten == null ? node.toBuilder() : rewritten;
                    rewritten.setAttribute(a, attribute.toBuilder().setG(inner));
                }
            }
            if (rewritten != null) {
                out = out == null ? graph.toBuilder() : out;
                out.setNode(i, rewritten);
            }
        }
        return out == null ? graph : out.build();
    }

    private static String slashed(String name) {
        return name.startsWith("/") ? name : "/" + name;
    }
}
