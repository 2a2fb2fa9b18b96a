package io.caas.engine.onnx;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Who writes and who reads each value of a graph, its constants, and the ranks that are known, for pattern matchers
 * that follow the dataflow rather than node names or order.
 */
public final class GraphIndex {

    private final GraphProto graph;
    private final Weights weights;
    private final Map<String, Integer> producer = new HashMap<>();
    private final Map<String, List<Integer>> readers = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final Map<String, Integer> declaredRanks = new HashMap<>();
    private final Map<String, OptionalInt> inferredRanks = new HashMap<>();

    private GraphIndex(GraphProto graph) {
        this.graph = graph;
        this.weights = Weights.of(graph);
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto n = graph.getNode(i);
            for (String out : n.getOutputList()) {
                producer.put(out, i);
            }
            Set<String> read = new HashSet<>();
            collectInputs(n, read);
            for (String in : read) {
                if (!in.isEmpty()) {
                    readers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
                }
            }
        }
        graph.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
        for (List<ValueInfoProto> infos : List.of(graph.getInputList(), graph.getValueInfoList(),
                graph.getOutputList())) {
            for (ValueInfoProto v : infos) {
                if (v.getType().hasTensorType() && v.getType().getTensorType().hasShape()) {
                    declaredRanks.put(v.getName(), v.getType().getTensorType().getShape().getDimCount());
                }
            }
        }
    }

    public static GraphIndex of(GraphProto graph) {
        return new GraphIndex(graph);
    }

    public GraphProto graph() {
        return graph;
    }

    public Weights weights() {
        return weights;
    }

    public NodeProto node(int index) {
        return graph.getNode(index);
    }

    /** The index of the node that writes {@code value}; empty for graph inputs, initializers and unknown names. */
    public OptionalInt producer(String value) {
        Integer i = producer.get(value);
        return i == null ? OptionalInt.empty() : OptionalInt.of(i);
    }

    /** The nodes that read {@code value} (subgraphs count as their node), each once. */
    public List<Integer> readers(String value) {
        return readers.getOrDefault(value, List.of());
    }

    public boolean isGraphOutput(String value) {
        return graphOutputs.contains(value);
    }

    /** Read by exactly one node and not a graph output: a value a rewrite of that node may remove. */
    public boolean readOnlyBy(String value, int node) {
        List<Integer> r = readers(value);
        return r.size() == 1 && r.get(0) == node && !isGraphOutput(value);
    }

    public boolean isConstant(String value) {
        return weights.get(value).isPresent();
    }

    /** The integers of a constant (shape, axes), or empty when it is not a readable INT64/INT32 constant. */
    public Optional<long[]> constantInts(String value) {
        Optional<TensorProto> t = weights.get(value).filter(c -> c.getDataType() == TensorProto.DataType.INT64_VALUE
                || c.getDataType() == TensorProto.DataType.INT32_VALUE);
        try {
            return t.map(Tensors::toLongs);
        } catch (RuntimeException malformed) { // hostile uploads: a pattern that cannot be read is no pattern
            return Optional.empty();
        }
    }

    /**
     * The rank of a value where it is declared (graph input, value info, output) or follows from its producer
     * through operators whose output rank is plain (Gemm, Flatten, elementwise and normalising operators, MatMul of
     * known ranks); empty otherwise.
     */
    public OptionalInt rank(String value) {
        Integer declared = declaredRanks.get(value);
        if (declared != null) {
            return OptionalInt.of(declared);
        }
        Optional<TensorProto> constant = weights.get(value);
        if (constant.isPresent()) {
            return OptionalInt.of(constant.get().getDimsCount());
        }
        OptionalInt cached = inferredRanks.get(value);
        if (cached != null) {
            return cached;
        }
        inferredRanks.put(value, OptionalInt.empty()); // a cycle in a malformed graph ends here
        OptionalInt r = inferRank(value);
        inferredRanks.put(value, r);
        return r;
    }

    private static final Set<String> SAME_RANK = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu",
            "Softplus", "Softsign", "HardSigmoid", "HardSwish", "Gelu", "Erf", "Abs", "Neg", "Exp", "Log", "Sqrt",
            "Reciprocal", "Dropout", "Identity", "Cast", "Softmax", "LogSoftmax", "BatchNormalization",
            "LayerNormalization", "Clip", "PRelu");
    private static final Set<String> BROADCAST = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min");

    private OptionalInt inferRank(String value) {
        OptionalInt p = producer(value);
        if (p.isEmpty()) {
            return OptionalInt.empty();
        }
        NodeProto n = graph.getNode(p.getAsInt());
        if (!n.getDomain().isEmpty() || n.getInputCount() == 0 || !n.getOutput(0).equals(value)) {
            return OptionalInt.empty();
        }
        String op = n.getOpType();
        if (op.equals("Gemm") || op.equals("Flatten")) {
            return OptionalInt.of(2);
        }
        if (SAME_RANK.contains(op)) {
            return rank(n.getInput(0));
        }
        if (BROADCAST.contains(op) || op.equals("MatMul")) {
            int max = 0;
            for (String in : n.getInputList()) {
                OptionalInt r = rank(in);
                // MatMul with a 1-D operand drops an axis; only the plain ≥ 2-D case is certain
                if (r.isEmpty() || op.equals("MatMul") && r.getAsInt() < 2) {
                    return OptionalInt.empty();
                }
                max = Math.max(max, r.getAsInt());
            }
            return OptionalInt.of(max);
        }
        return OptionalInt.empty();
    }

    private static void collectInputs(NodeProto n, Set<String> read) {
        read.addAll(n.getInputList());
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                a.getG().getNodeList().forEach(s -> collectInputs(s, read));
            }
            a.getGraphsList().forEach(sg -> sg.getNodeList().forEach(s -> collectInputs(s, read)));
        }
    }
}
