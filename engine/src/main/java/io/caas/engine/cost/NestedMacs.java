package io.caas.engine.cost;

import io.caas.engine.data.DatasetInput;
import io.caas.engine.eval.ShapeProbe;
import io.caas.engine.eval.ValueShapes;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Subgraphs;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Multiply-accumulates of the counted nodes inside If branches and Loop/Scan bodies, at any depth, for one sample
 * and <em>one run of the body that holds them</em>: how often a branch or body runs depends on the data, so these
 * are never added to a model's totals.
 *
 * <p>How the operands are sized: ONNX Runtime cannot return a value from inside a subgraph, so every subgraph's
 * nodes are copied into the main graph of a probe model, their values renamed apart, each body's formal inputs
 * bound to what its node passes on the first run (a Loop: iteration 0, condition true, the initial carried values;
 * a Scan: the states, and each scanned input's first slice), and the copies' operands sized by {@link ShapeProbe}
 * like the main graph's. A nested If's outputs follow its then-branch, a nested Loop's or Scan's are left unsized.
 */
final class NestedMacs {

    /**
     * @param layers a counted node's MACs per run of its body, by its path ({@code /If[else_branch]/wide/Gemm}), in
     *               depth-first order; null where its operands could not be sized
     * @param note   what was not counted, and why; null when everything was
     */
    record Counted(List<LayerMacs> layers, String note) {
    }

    private final GraphProto main;
    private final List<NodeProto> copies = new ArrayList<>();
    private final List<TensorProto> copiedWeights = new ArrayList<>();
    /** The counted copies, by the path of the node each copies. */
    private final Map<String, NodeProto> countedByPath = new LinkedHashMap<>();
    private int scopes;

    private NestedMacs(GraphProto main) {
        this.main = main;
    }

    static Counted of(ModelProto model, long[] sampleShape, List<DatasetInput> parts) {
        NestedMacs nested = new NestedMacs(model.getGraph());
        nested.inlineAll();
        if (nested.countedByPath.isEmpty()) {
            return new Counted(List.of(), null);
        }
        Set<String> operands = new LinkedHashSet<>();
        nested.countedByPath.values().forEach(n -> operands.addAll(OperatorMacs.operands(n)));
        ValueShapes shapes;
        try {
            shapes = ShapeProbe.probe(nested.probeModel(model), sampleShape, parts, operands);
        } catch (RuntimeException e) {
            // a figure for the report, never a reason to fail a model or a job: the probe may be a graph ORT refuses
            List<LayerMacs> unknown = new ArrayList<>();
            nested.countedByPath.forEach((path, n) -> unknown.add(new LayerMacs(path, n.getOpType(), null)));
            return new Counted(unknown, "the " + unknown.size() + " counted node(s) inside If, Loop or Scan bodies "
                    + "could not be sized: " + e.getMessage());
        }
        List<LayerMacs> layers = new ArrayList<>();
        List<String> unsized = new ArrayList<>();
        nested.countedByPath.forEach((path, n) -> {
            OptionalLong macs = OperatorMacs.of(n, shapes);
            layers.add(new LayerMacs(path, n.getOpType(), macs.isPresent() ? macs.getAsLong() : null));
            if (macs.isEmpty()) {
                unsized.add(path);
            }
        });
        return new Counted(layers, unsized.isEmpty() ? null : unsized.size() + " node(s) inside If, Loop or Scan "
                + "bodies could not be sized (" + GraphMacs.firstNames(unsized) + ")");
    }

    /**
     * Each nested layer of the original before and after compression, per run of its body: both models' bodies are
     * copied alike (the same control flow, so each body gets the same names in both), and the layer is found again
     * in the compressed copy by dataflow between its input and its output, as {@link MacCounter#compare} finds a
     * main-graph layer. Empty where the original has none; null figures where they could not be sized.
     */
    static List<LayerMacsChange> compare(ModelProto original, ModelProto compressed, long[] sampleShape,
                                         List<DatasetInput> parts) {
        NestedMacs before = new NestedMacs(original.getGraph());
        before.inlineAll();
        if (before.countedByPath.isEmpty()) {
            return List.of();
        }
        NestedMacs after = new NestedMacs(compressed.getGraph());
        after.inlineAll();
        GraphMacs was;
        GraphMacs is;
        try {
            was = GraphMacs.of(before.probeModel(original), sampleShape, parts);
            is = GraphMacs.of(after.probeModel(compressed), sampleShape, parts);
        } catch (RuntimeException e) {
            List<LayerMacsChange> unknown = new ArrayList<>();
            before.countedByPath.forEach((path, n) -> unknown.add(new LayerMacsChange(path, n.getOpType(), null, null,
                    List.of())));
            return unknown;
        }
        List<LayerMacsChange> layers = new ArrayList<>();
        before.countedByPath.forEach((path, copy) -> {
            List<String> in = List.of(copy.getInput(0));
            List<Integer> spanBefore = LayerSpan.of(was.index(), in, copy.getOutput(0));
            List<Integer> spanAfter = LayerSpan.of(is.index(), in, copy.getOutput(0));
            layers.add(new LayerMacsChange(path, copy.getOpType(), was.sum(spanBefore),
                    spanAfter.isEmpty() ? null : is.sum(spanAfter), is.countedNames(spanAfter)));
        });
        return layers;
    }

    private void inlineAll() {
        for (int i = 0; i < main.getNodeCount(); i++) {
            inline(main.getNode(i), i, "", Map.of());
        }
    }

    /**
     * Copies the bodies of a control-flow node (any node with graph attributes) of the scope whose values {@code
     * scope} renames (names absent from it are the main graph's), recording its counted nodes; returns each body's
     * outputs as copied, by attribute name.
     */
    private Map<String, List<String>> inline(NodeProto node, int index, String parentPath, Map<String, String> scope) {
        Map<String, List<String>> outputs = new HashMap<>();
        for (AttributeProto attribute : node.getAttributeList()) {
            if (!attribute.hasG()) {
                continue;
            }
            String path = Subgraphs.path(parentPath, node, index, attribute.getName());
            outputs.put(attribute.getName(), copyBody(node, attribute.getG(), path, scope));
        }
        return outputs;
    }

    private List<String> copyBody(NodeProto owner, GraphProto body, String path, Map<String, String> outer) {
        String prefix = "__nested" + (scopes++) + "/";
        Map<String, String> names = new HashMap<>(outer);
        bindFormalInputs(owner, body, prefix, outer, names);
        for (TensorProto weight : body.getInitializerList()) {
            copiedWeights.add(weight.toBuilder().setName(prefix + weight.getName()).build());
            names.put(weight.getName(), prefix + weight.getName());
        }
        for (int j = 0; j < body.getNodeCount(); j++) {
            NodeProto n = body.getNode(j);
            if (n.getAttributeList().stream().anyMatch(AttributeProto::hasG)) {
                Map<String, List<String>> inner = inline(n, j, path, names);
                // an If's outputs are its branch's (the then-branch's, for sizing); a loop's are not known here
                List<String> then = inner.get("then_branch");
                if (n.getOpType().equals("If") && then != null) {
                    for (int k = 0; k < Math.min(then.size(), n.getOutputCount()); k++) {
                        names.put(n.getOutput(k), then.get(k));
                    }
                }
                continue;
            }
            NodeProto.Builder copy = n.toBuilder().clearInput().clearOutput().setName(Subgraphs.nodePath(path, n, j));
            n.getInputList().forEach(v -> copy.addInput(v.isEmpty() ? v : names.getOrDefault(v, v)));
            for (String v : n.getOutputList()) {
                String renamed = v.isEmpty() ? v : prefix + v;
                names.put(v, renamed);
                copy.addOutput(renamed);
            }
            copies.add(copy.build());
            if (OperatorMacs.counts(n)) {
                countedByPath.put(Subgraphs.nodePath(path, n, j), copies.get(copies.size() - 1));
            }
        }
        return body.getOutputList().stream().map(o -> names.getOrDefault(o.getName(), o.getName())).toList();
    }

    /** Binds a body's formal inputs to what its node passes on the first run; an If's branches have none. */
    private void bindFormalInputs(NodeProto owner, GraphProto body, String prefix, Map<String, String> outer,
                                  Map<String, String> names) {
        int formal = body.getInputCount();
        if (owner.getOpType().equals("Loop") && formal >= 2) {
            names.put(body.getInput(0).getName(), constant(prefix + "iteration", TensorProto.DataType.INT64_VALUE));
            names.put(body.getInput(1).getName(), constant(prefix + "condition", TensorProto.DataType.BOOL_VALUE));
            for (int k = 2; k < formal && k < owner.getInputCount(); k++) {
                names.put(body.getInput(k).getName(), outer.getOrDefault(owner.getInput(k), owner.getInput(k)));
            }
        } else if (owner.getOpType().equals("Scan") && ModelInspector.intAttribute(owner, "num_scan_inputs", -1) > 0
                && owner.getInputCount() == formal) {
            // opset 9 on: the states, then the scanned inputs, whose body sees one slice along its axis
            int scanned = (int) ModelInspector.intAttribute(owner, "num_scan_inputs", 0);
            int states = formal - scanned;
            List<Long> axes = owner.getAttributeList().stream().filter(a -> a.getName().equals("scan_input_axes"))
                    .findFirst().map(AttributeProto::getIntsList).orElse(List.of());
            for (int k = 0; k < formal; k++) {
                String passed = outer.getOrDefault(owner.getInput(k), owner.getInput(k));
                if (k < states) {
                    names.put(body.getInput(k).getName(), passed);
                } else {
                    long axis = k - states < axes.size() ? axes.get(k - states) : 0;
                    names.put(body.getInput(k).getName(), firstSlice(prefix + "slice" + k, passed, axis));
                }
            }
        }
    }

    /** A scalar Constant of this type (0, or false) under this name. */
    private String constant(String name, int dataType) {
        TensorProto.Builder value = TensorProto.newBuilder().setDataType(dataType);
        if (dataType == TensorProto.DataType.BOOL_VALUE) {
            value.addInt32Data(1);
        } else {
            value.addInt64Data(0);
        }
        copies.add(NodeProto.newBuilder().setOpType("Constant").setName(name).addOutput(name)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(value)).build());
        return name;
    }

    /** The first slice of {@code value} along {@code axis}, that axis dropped, as a Scan body sees it. */
    private String firstSlice(String name, String value, long axis) {
        String index = constant(name + "/index", TensorProto.DataType.INT64_VALUE);
        copies.add(NodeProto.newBuilder().setOpType("Gather").setName(name).addInput(value).addInput(index)
                .addOutput(name).addAttribute(AttributeProto.newBuilder().setName("axis")
                        .setType(AttributeProto.AttributeType.INT).setI(axis)).build());
        return name;
    }

    /** The model with every body's copy after the main graph's nodes. */
    private ModelProto probeModel(ModelProto model) {
        GraphProto.Builder graph = main.toBuilder().addAllNode(copies).addAllInitializer(copiedWeights);
        return model.toBuilder().setGraph(graph).build();
    }
}
