package io.caas.engine.cost;

import io.caas.engine.data.DatasetInput;
import io.caas.engine.eval.ShapeProbe;
import io.caas.engine.eval.ValueShapes;
import io.caas.engine.onnx.GraphIndex;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/** The multiply-accumulates of every node of one graph for one sample, its operands sized by {@link ShapeProbe}. */
final class GraphMacs {

    private final GraphProto graph;
    private final GraphIndex index;
    /** Per node; null for a counted node whose operands could not be sized. */
    private final Long[] macs;
    private final int inBodies;

    private GraphMacs(GraphProto graph, Long[] macs, int inBodies) {
        this.graph = graph;
        this.index = GraphIndex.of(graph);
        this.macs = macs;
        this.inBodies = inBodies;
    }

    static GraphMacs of(ModelProto model, long[] sampleShape, List<DatasetInput> parts) {
        GraphProto graph = model.getGraph();
        Set<String> operands = new LinkedHashSet<>();
        graph.getNodeList().stream().filter(OperatorMacs::counts).forEach(n -> operands.addAll(OperatorMacs.operands(n)));
        ValueShapes shapes = ShapeProbe.probe(model, sampleShape, parts, operands);
        Long[] macs = new Long[graph.getNodeCount()];
        for (int i = 0; i < macs.length; i++) {
            OptionalLong m = OperatorMacs.of(graph.getNode(i), shapes);
            macs[i] = m.isPresent() ? m.getAsLong() : null;
        }
        int inBodies = 0;
        for (NodeProto node : graph.getNodeList()) {
            inBodies += countedInBodies(node);
        }
        return new GraphMacs(graph, macs, inBodies);
    }

    GraphIndex index() {
        return index;
    }

    /** The nodes' sum; null if any of them is unknown. */
    Long sum(Collection<Integer> nodes) {
        long sum = 0;
        for (int i : nodes) {
            if (macs[i] == null) {
                return null;
            }
            sum = Math.addExact(sum, macs[i]);
        }
        return sum;
    }

    Long total() {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < macs.length; i++) {
            all.add(i);
        }
        return sum(all);
    }

    /** Names of the counted nodes among these. */
    List<String> countedNames(Collection<Integer> nodes) {
        return nodes.stream().filter(i -> OperatorMacs.counts(graph.getNode(i)))
                .map(i -> ModelInspector.nodeName(graph.getNode(i), i)).toList();
    }

    /**
     * What this count leaves out; null when nothing.
     *
     * @param nestedUncounted whether the nodes inside If, Loop and Scan bodies go uncounted (else they are counted
     *                        apart, per run of their body)
     */
    String gaps(boolean nestedUncounted) {
        List<String> unsized = new ArrayList<>();
        for (int i = 0; i < macs.length; i++) {
            if (macs[i] == null) {
                unsized.add(ModelInspector.nodeName(graph.getNode(i), i));
            }
        }
        List<String> gaps = new ArrayList<>();
        if (!unsized.isEmpty()) {
            gaps.add(unsized.size() + " node(s) could not be sized (" + firstNames(unsized) + ")");
        }
        if (inBodies > 0) {
            gaps.add(inBodies + " Conv/Gemm/MatMul/Einsum node(s) inside If, Loop or Scan bodies are "
                    + (nestedUncounted ? "not counted" : "counted per run of their body, apart from the totals"));
        }
        return gaps.isEmpty() ? null : String.join("; ", gaps);
    }

    /** The first three names, "..." after them where there are more: a note's list, bounded whatever the model. */
    static String firstNames(List<String> names) {
        return String.join(", ", names.subList(0, Math.min(3, names.size()))) + (names.size() > 3 ? ", ..." : "");
    }

    private static int countedInBodies(NodeProto node) {
        int n = 0;
        for (AttributeProto a : node.getAttributeList()) {
            List<GraphProto> bodies = new ArrayList<>(a.getGraphsList());
            if (a.hasG()) {
                bodies.add(a.getG());
            }
            for (GraphProto body : bodies) {
                for (NodeProto inner : body.getNodeList()) {
                    n += (OperatorMacs.counts(inner) ? 1 : 0) + countedInBodies(inner);
                }
            }
        }
        return n;
    }
}
