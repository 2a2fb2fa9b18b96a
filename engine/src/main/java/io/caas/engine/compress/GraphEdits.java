package io.caas.engine.compress;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TensorShapeProto;
import io.caas.engine.onnx.proto.Onnx.TypeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The graph surgery every export that replaces layer weights needs: names that clash with nothing in the graph,
 * and a rebuilt graph without the weights no node reads any more (initializers, their Constant nodes, their
 * graph-input and value-info entries), plus the new weights.
 */
public final class GraphEdits {

    private GraphEdits() {
    }

    /** What replaces one node: its new nodes, in order, and the weights they read, appended to the two lists. */
    @FunctionalInterface
    public interface NodeRewrite<R> {
        void rewrite(int index, NodeProto node, R replacement, List<NodeProto> nodes, List<TensorProto> weights);
    }

    /**
     * The model with each node whose index is a key of {@code replacements} rewritten in place, every other node
     * kept as it was; the replaced nodes' weights (input 1) are dropped where nothing else reads them, and the new
     * weights are added (and listed as graph inputs where the model lists its weights there, as IR < 4 does).
     */
    public static <R> ModelProto replaceNodes(ModelProto model, Map<Integer, R> replacements,
                                              NodeRewrite<R> rewrite) {
        GraphProto g = model.getGraph();
        List<NodeProto> nodes = new ArrayList<>();
        List<TensorProto> weights = new ArrayList<>();
        Set<String> replacedWeights = new HashSet<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto node = g.getNode(i);
            R replacement = replacements.get(i);
            if (replacement == null) {
                nodes.add(node);
                continue;
            }
            replacedWeights.add(node.getInput(1));
            rewrite.rewrite(i, node, replacement, nodes, weights);
        }
        // a weight another node still reads (a shared weight, a subgraph) stays
        Set<String> dropped = unreadWeights(g, nodes, replacedWeights);
        GraphProto.Builder out = withoutDropped(g, nodes, dropped, weights);
        listAsInputsLikeReplaced(g, out, replacedWeights, weights);
        return model.toBuilder().setGraph(out).build();
    }

    /** Every name the graph already uses (tensors, value infos, nodes), so new ones can avoid them. */
    public static Set<String> takenNames(GraphProto g) {
        Set<String> names = new HashSet<>();
        g.getInitializerList().forEach(t -> names.add(t.getName()));
        g.getInputList().forEach(v -> names.add(v.getName()));
        g.getOutputList().forEach(v -> names.add(v.getName()));
        g.getValueInfoList().forEach(v -> names.add(v.getName()));
        for (NodeProto n : g.getNodeList()) {
            names.add(n.getName());
            names.addAll(n.getInputList());
            names.addAll(n.getOutputList());
        }
        return names;
    }

    /** {@link #takenNames} of the graph and of every subgraph in it, at any depth. */
    public static Set<String> takenNamesInAllScopes(GraphProto g) {
        Set<String> names = takenNames(g);
        for (NodeProto n : g.getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    names.addAll(takenNamesInAllScopes(a.getG()));
                }
            }
        }
        return names;
    }

    /** {@code base}, or {@code base_1}, {@code base_2}… where taken; the result is taken from then on. */
    public static String unique(Set<String> taken, String base) {
        String name = base;
        for (int i = 1; taken.contains(name); i++) {
            name = base + "_" + i;
        }
        taken.add(name);
        return name;
    }

    /** The replaced weights that neither the new nodes (subgraphs included) nor the graph outputs still read. */
    public static Set<String> unreadWeights(GraphProto g, Collection<NodeProto> nodes, Set<String> replaced) {
        Set<String> used = new HashSet<>();
        nodes.forEach(n -> collectInputs(n, used));
        g.getOutputList().forEach(v -> used.add(v.getName()));
        Set<String> dropped = new HashSet<>(replaced);
        dropped.removeAll(used); // a weight another node shares stays
        return dropped;
    }

    /**
     * {@code g} with {@code nodes} for its nodes, less the Constant nodes of dropped weights, and without the dropped
     * weights' initializers, inputs and value infos; the added initializers come last.
     */
    public static GraphProto.Builder withoutDropped(GraphProto g, List<NodeProto> nodes, Set<String> dropped,
                                                    List<TensorProto> added) {
        GraphProto.Builder out = g.toBuilder().clearNode().clearInitializer().clearInput().clearValueInfo();
        nodes.stream().filter(n -> !isConstantOf(n, dropped)).forEach(out::addNode);
        g.getInitializerList().stream().filter(t -> !dropped.contains(t.getName())).forEach(out::addInitializer);
        out.addAllInitializer(added);
        g.getInputList().stream().filter(v -> !dropped.contains(v.getName())).forEach(out::addInput);
        g.getValueInfoList().stream().filter(v -> !dropped.contains(v.getName())).forEach(out::addValueInfo);
        return out;
    }

    /** IR < 4 lists weights among the graph inputs: where the replaced ones were, the new ones are listed too. */
    public static void listAsInputsLikeReplaced(GraphProto g, GraphProto.Builder out, Set<String> replaced,
                                                List<TensorProto> added) {
        if (g.getInputList().stream().anyMatch(v -> replaced.contains(v.getName()))) {
            added.forEach(t -> out.addInput(weightInfo(t)));
        }
    }

    public static boolean isConstantOf(NodeProto node, Set<String> values) {
        return node.getOpType().equals("Constant") && node.getOutputCount() == 1 && values.contains(node.getOutput(0));
    }

    private static void collectInputs(NodeProto n, Set<String> used) {
        used.addAll(n.getInputList());
        for (AttributeProto a : n.getAttributeList()) {
            // a subgraph (If/Loop body) may read an outer weight by name
            if (a.hasG()) {
                a.getG().getNodeList().forEach(s -> collectInputs(s, used));
            }
            a.getGraphsList().forEach(sg -> sg.getNodeList().forEach(s -> collectInputs(s, used)));
        }
    }

    private static ValueInfoProto weightInfo(TensorProto t) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        t.getDimsList().forEach(d -> shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d)));
        return ValueInfoProto.newBuilder().setName(t.getName()).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(t.getDataType()).setShape(shape))).build();
    }

    /** A node's INTS attribute, or {@code fallback} where it has none (or an empty one). */
    public static long[] ints(NodeProto node, String name, long[] fallback) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name) && a.getIntsCount() > 0) {
                return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return fallback;
    }

    /** An INTS attribute, for new nodes. */
    public static AttributeProto intsAttribute(String name, long... values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            b.addInts(v);
        }
        return b.build();
    }
}
