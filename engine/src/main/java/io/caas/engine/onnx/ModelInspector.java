package io.caas.engine.onnx;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.OperatorSetIdProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TensorShapeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import io.caas.engine.runtime.SupportedOperators;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Summarises a model: its interface, its size and the layers a compression method could rewrite. */
public final class ModelInspector {

    /** The recurrent operators whose input weights W (input 1) are listed as {@link LayerKind#RECURRENT} layers. */
    public static final Set<String> RECURRENT_OPS = Set.of("LSTM", "GRU", "RNN");

    private ModelInspector() {
    }

    public static ModelSummary inspect(ModelProto model) {
        GraphProto graph = model.getGraph();
        Weights weights = Weights.of(graph);

        long parameters = 0;
        long weightBytes = 0;
        // Weights inside If branches and Loop bodies count too: a model may hold all of them there.
        for (TensorProto t : Weights.inAllScopes(graph).all().values()) {
            if (Tensors.isFloating(t)) {
                long n = Tensors.elementCount(t);
                parameters += n;
                weightBytes += n * Math.max(Tensors.elementSize(t.getDataType()), 0);
            }
        }

        Map<String, Integer> opCounts = new LinkedHashMap<>();
        List<WeightedLayer> layers = new ArrayList<>();
        Map<Integer, BilinearForm> bilinear = BilinearLayers.byNode(graph);
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto node = graph.getNode(i);
            opCounts.merge(node.getOpType(), 1, Integer::sum);
            BilinearForm form = bilinear.get(i);
            if (form != null) {
                // a bilinear MatMul pattern's projection is not a dense layer of its own: it is listed once, whole
                List<Long> shape = List.of(form.out(), form.inFirst(), form.inSecond());
                // a projection bias (out·inSecond values) belongs to the layer and goes with it
                long bias = form.projectionBias().isPresent() ? form.out() * form.inSecond() : 0;
                layers.add(new WeightedLayer(nodeName(node, i), node.getOpType(), LayerKind.BILINEAR, form.weight(),
                        shape, Tensors.elementCount(shape) + bias));
            } else {
                weightedLayer(node, nodeName(node, i), weights).ifPresent(layers::add);
            }
        }

        Set<String> initializers = new LinkedHashSet<>();
        graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
        List<TensorSpec> inputs = graph.getInputList().stream()
                .filter(v -> !initializers.contains(v.getName())) // IR < 4 lists weights as inputs too
                .map(ModelInspector::spec).toList();
        List<TensorSpec> outputs = graph.getOutputList().stream().map(ModelInspector::spec).toList();

        return new ModelSummary(model.getIrVersion(), defaultOpset(model), model.getProducerName(), graph.getName(),
                inputs, outputs, parameters, weightBytes, graph.getNodeCount(), opCounts, layers,
                Subgraphs.layers(graph), List.copyOf(unsupportedOperators(graph)));
    }

    /**
     * The op_types of the graph the engine's interpreter cannot run, those inside its subgraphs (If branches, Loop
     * and Scan bodies) included, in first-seen order; an op of another domain is named with its domain.
     */
    public static Set<String> unsupportedOperators(GraphProto graph) {
        Set<String> unsupported = new LinkedHashSet<>();
        for (NodeProto node : graph.getNodeList()) {
            if (!SupportedOperators.isSupported(node.getDomain(), node.getOpType())) {
                unsupported.add(node.getDomain().isEmpty() ? node.getOpType() : node.getDomain() + "." + node.getOpType());
            }
            for (AttributeProto attribute : node.getAttributeList()) {
                if (attribute.hasG()) {
                    unsupported.addAll(unsupportedOperators(attribute.getG()));
                }
            }
        }
        return unsupported;
    }

    /** The name a node is known by in reports and method parameters; exporters often leave names empty. */
    public static String nodeName(NodeProto node, int index) {
        return node.getName().isEmpty() ? node.getOpType() + "_" + index : node.getName();
    }

    public static long defaultOpset(ModelProto model) {
        for (OperatorSetIdProto op : model.getOpsetImportList()) {
            if (op.getDomain().isEmpty() || op.getDomain().equals("ai.onnx")) {
                return op.getVersion();
            }
        }
        return 0;
    }

    /**
     * A dense, conv or recurrent layer (bilinear layers span several nodes and are found by
     * {@link BilinearLayers}).
     */
    public static Optional<WeightedLayer> weightedLayer(NodeProto node, String name, Weights weights) {
        String op = node.getOpType();
        if (!node.getDomain().isEmpty() || node.getInputCount() < 2) {
            return Optional.empty();
        }
        Optional<TensorProto> w = weights.get(node.getInput(1)).filter(Tensors::isFloating);
        if (w.isEmpty()) {
            return Optional.empty();
        }
        List<Long> dims = w.get().getDimsList();
        if ((op.equals("Gemm") || op.equals("MatMul")) && dims.size() == 2) {
            return Optional.of(new WeightedLayer(name, op, LayerKind.DENSE, node.getInput(1), dims,
                    Tensors.elementCount(dims)));
        }
        // 2-D and 1-D convolutions (nn.Conv2d, nn.Conv1d); a grouped conv is no single matrix
        if (op.equals("Conv") && (dims.size() == 4 || dims.size() == 3) && intAttribute(node, "group", 1) == 1) {
            return Optional.of(new WeightedLayer(name, op, LayerKind.CONV, node.getInput(1), dims,
                    Tensors.elementCount(dims)));
        }
        if (RECURRENT_OPS.contains(op) && dims.size() == 3) {
            return Optional.of(new WeightedLayer(name, op, LayerKind.RECURRENT, node.getInput(1), dims,
                    Tensors.elementCount(dims)));
        }
        return Optional.empty();
    }

    public static long intAttribute(NodeProto node, String name, long fallback) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return fallback;
    }

    private static TensorSpec spec(ValueInfoProto v) {
        List<Object> shape = new ArrayList<>();
        String type = "unknown";
        if (v.getType().hasTensorType()) {
            var tt = v.getType().getTensorType();
            TensorProto.DataType dt = TensorProto.DataType.forNumber(tt.getElemType());
            type = dt == null ? "unknown" : dt.name().toLowerCase();
            if (tt.hasShape()) {
                for (TensorShapeProto.Dimension d : tt.getShape().getDimList()) {
                    if (d.hasDimValue()) {
                        shape.add(d.getDimValue());
                    } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                        shape.add(d.getDimParam());
                    } else {
                        shape.add("?");
                    }
                }
            }
        }
        return new TensorSpec(v.getName(), type, shape);
    }
}
