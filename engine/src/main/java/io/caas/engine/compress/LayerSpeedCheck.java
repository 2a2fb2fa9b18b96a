package io.caas.engine.compress;

import io.caas.engine.compress.svd.FactorizedExport;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.LayerTiming;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.eval.PairedLatency;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TensorShapeProto;
import io.caas.engine.onnx.proto.Onnx.TypeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a layer's factorized form runs faster than its dense form where it is deployed: each form is cut out as a
 * model of its own, fed the layer's real input shape, and timed against the other in ONNX Runtime (1 thread), at
 * batch 1 and at a larger batch. Fewer parameters do not make a layer faster: two small convolutions or matrix
 * products can cost more than one larger one, and a model whose layers each shrink can still run slower.
 */
public final class LayerSpeedCheck implements SpeedCheck {

    /** Alternating rounds per comparison and runs of each form per round: enough for a stable median ratio. */
    private static final int ROUNDS = 9;
    private static final int RUNS_PER_ROUND = 3;
    /** The whole models: warm-up runs of each, then timed runs split into {@link Evaluator#PAIRED_ROUNDS} rounds. */
    private static final int MODEL_WARMUP_RUNS = 3;
    private static final int MODEL_TIMED_RUNS = 30;

    private final ModelProto model;
    private final Weights weights;
    private final Map<String, long[]> inputShapes;
    private final int batchSize;
    private final Optional<Dataset> data;

    private LayerSpeedCheck(ModelProto model, Map<String, long[]> inputShapes, int batchSize,
                            Optional<Dataset> data) {
        this.model = model;
        this.data = data;
        this.weights = Weights.of(model.getGraph());
        this.inputShapes = inputShapes;
        this.batchSize = batchSize;
    }

    /**
     * Learns the input shape of each of the given nodes by running the model once on one sample (the dataset's
     * first, or zeros shaped as the model declares).
     *
     * @param batchSize the larger batch to time at, besides 1
     */
    public static LayerSpeedCheck of(ModelProto model, List<Integer> nodeIndices, Optional<Dataset> data,
                                     int batchSize) {
        GraphProto g = model.getGraph();
        Set<String> graphInputs = new LinkedHashSet<>();
        g.getInputList().forEach(v -> graphInputs.add(v.getName()));
        Set<String> outputs = new LinkedHashSet<>();
        g.getOutputList().forEach(v -> outputs.add(v.getName()));
        GraphProto.Builder probed = g.toBuilder();
        for (int i : nodeIndices) {
            String value = g.getNode(i).getInput(0);
            if (!graphInputs.contains(value) && outputs.add(value)) {
                probed.addOutput(ValueInfoProto.newBuilder().setName(value).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
            }
        }
        long[] sampleShape = data.filter(d -> !d.multiInput()).map(Dataset::sampleShape).orElse(null);
        try (ModelRunner runner = new ModelRunner(model.toBuilder().setGraph(probed).build(), 1, sampleShape,
                data.map(Dataset::inputs).orElse(List.of()))) {
            float[] features = data.map(Dataset::features).orElseGet(() -> new float[runner.sampleElements()]);
            Map<String, long[]> shapes = new HashMap<>(runner.runOutputShapes(features));
            long[] first = new long[runner.sampleShape().length + 1];
            first[0] = 1;
            System.arraycopy(runner.sampleShape(), 0, first, 1, runner.sampleShape().length);
            graphInputs.forEach(name -> shapes.putIfAbsent(name, first));
            return new LayerSpeedCheck(model, shapes, batchSize, data);
        }
    }

    /** Times the replacement of its node against the node as it is. */
    @Override
    public Verdict check(FactorizedExport.Replacement r) {
        NodeProto node = model.getGraph().getNode(r.nodeIndex());
        long[] shape = inputShapes.get(node.getInput(0));
        if (shape == null) {
            return new Verdict(true, "not timed: its input's shape is unknown");
        }
        int axis = batchAxis(node);
        LayerTiming.Comparison one = compare(node, r, withBatch(shape, axis, 1));
        LayerTiming.Comparison many = compare(node, r, withBatch(shape, axis, batchSize));
        boolean faster = one.faster() && many.faster();
        return new Verdict(faster, String.format(Locale.ROOT, "timed in ONNX Runtime (1 thread) at %.2fx the dense "
                + "layer's time at batch %d and %.2fx at batch 1", many.medianRatio(), batchSize, one.medianRatio()));
    }

    /**
     * Times the compressed model against the original in paired rounds ({@link Evaluator#timePair}), 1 thread, on
     * the samples the input shapes were learnt from (or seeded random ones): faster where its median round ratio is
     * below 1 at batch 1 and at the larger batch.
     */
    @Override
    public Verdict checkModel(ModelProto compressed) {
        EvaluationOptions options = EvaluationOptions.defaults().withRuns(MODEL_WARMUP_RUNS, MODEL_TIMED_RUNS)
                .withBatchSize(batchSize);
        List<PairedLatency> paired = Evaluator.timePair(model, compressed, data, options);
        PairedLatency one = paired.get(0);
        PairedLatency many = paired.get(1);
        boolean faster = one.medianRatio() < 1 && many.medianRatio() < 1;
        return new Verdict(faster, String.format(Locale.ROOT, "the whole compressed model timed in ONNX Runtime "
                + "(1 thread, %d paired rounds) at %.2fx the original's time at batch %d and %.2fx at batch 1",
                many.rounds(), many.medianRatio(), many.batchSize(), one.medianRatio()));
    }

    private LayerTiming.Comparison compare(NodeProto node, FactorizedExport.Replacement r, long[] shape) {
        ModelProto dense = alone(node, shape);
        ModelProto factorized = new FactorizedExport(dense).apply(List.of(r.atNode(0)));
        return LayerTiming.compare(dense, factorized, shape, 1, ROUNDS, RUNS_PER_ROUND);
    }

    /** The node with each input that is not a stored weight (its first, the activation, aside) left empty. */
    private NodeProto storedInputsOnly(NodeProto node) {
        NodeProto.Builder stored = node.toBuilder();
        for (int i = 1; i < node.getInputCount(); i++) {
            if (!node.getInput(i).isEmpty() && weights.get(node.getInput(i)).isEmpty()) {
                stored.setInput(i, "");
            }
        }
        return stored.build();
    }

    /**
     * The shape at another batch size, where its dimension {@code axis} is the batch (1 in the probe run) and the
     * shape has more than that one dimension.
     */
    private static long[] withBatch(long[] shape, int axis, int batch) {
        long[] s = shape.clone();
        if (s.length > 1 && axis < s.length && s[axis] == 1) {
            s[axis] = batch;
        }
        return s;
    }

    /**
     * Where a node's input holds the batch: first, but second in an LSTM/GRU/RNN's [steps, batch, in] (ONNX's
     * default layout 0; layout 1 puts the batch first).
     */
    private static int batchAxis(NodeProto node) {
        return ModelInspector.RECURRENT_OPS.contains(node.getOpType())
                && ModelInspector.intAttribute(node, "layout", 0) == 0 ? 1 : 0;
    }

    /**
     * The node alone: its input as the graph input, its weights as initializers, its first output. A recurrent
     * node's optional inputs that are computed, not stored (initial states made from the input's shape, sequence
     * lengths), are left out: zero states and full sequences take as long.
     */
    private ModelProto alone(NodeProto layerNode, long[] inputShape) {
        NodeProto node = ModelInspector.RECURRENT_OPS.contains(layerNode.getOpType()) ? storedInputsOnly(layerNode)
                : layerNode;
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : inputShape) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName("layer")
                .addInput(ValueInfoProto.newBuilder().setName(node.getInput(0)).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE)
                                .setShape(shape))))
                .addNode(node.toBuilder().clearOutput().addOutput(node.getOutput(0)))
                .addOutput(ValueInfoProto.newBuilder().setName(node.getOutput(0)).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
        for (int i = 1; i < node.getInputCount(); i++) {
            String name = node.getInput(i);
            if (!name.isEmpty()) {
                g.addInitializer(weights.get(name).orElseThrow(() -> new IllegalStateException(
                        "node " + node.getName() + " reads '" + name + "', which is not a weight")).toBuilder()
                        .setName(name));
            }
        }
        return ModelProto.newBuilder().setIrVersion(model.getIrVersion()).addAllOpsetImport(model.getOpsetImportList())
                .setGraph(g).build();
    }
}
