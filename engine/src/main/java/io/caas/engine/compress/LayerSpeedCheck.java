package io.caas.engine.compress;

import io.caas.engine.compress.FactorizedExport;
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
    private final Map<String, long[]> shapesAtOne;
    private final Map<String, long[]> shapesAtBatch;
    private final int batchSize;
    private final Optional<Dataset> data;

    private LayerSpeedCheck(ModelProto model, Map<String, long[]> shapesAtOne, Map<String, long[]> shapesAtBatch,
                            int batchSize, Optional<Dataset> data) {
        this.model = model;
        this.data = data;
        this.weights = Weights.of(model.getGraph());
        this.shapesAtOne = shapesAtOne;
        this.shapesAtBatch = shapesAtBatch;
        this.batchSize = batchSize;
    }

    /**
     * Learns the input shape of each of the given nodes by running the model at batch 1 and at the larger batch
     * (the dataset's first samples, or zeros shaped as the model declares). Run, not guessed: where the batch sits
     * in a layer's input depends on the model (a Transformer exported sequence-first carries it on the second axis).
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
            int batch = runner.batchFixedToOne() ? 1 : batchSize;
            int per = runner.sampleElements();
            float[] features = new float[per * batch];
            data.ifPresent(d -> {
                // the dataset's first samples, repeated where it holds fewer than the batch
                for (int i = 0; i < batch; i++) {
                    System.arraycopy(d.features(), (i % d.size()) * per, features, i * per, per);
                }
            });
            Map<String, long[]> atOne = shapes(runner.runOutputShapes(features, 1), graphInputs, runner, 1);
            Map<String, long[]> atBatch = batch == 1 ? atOne
                    : shapes(runner.runOutputShapes(features, batch), graphInputs, runner, batch);
            return new LayerSpeedCheck(model, atOne, atBatch, batchSize, data);
        }
    }

    private static Map<String, long[]> shapes(Map<String, long[]> outputs, Set<String> graphInputs,
                                              ModelRunner runner, int batch) {
        Map<String, long[]> shapes = new HashMap<>(outputs);
        long[] input = new long[runner.sampleShape().length + 1];
        input[0] = batch;
        System.arraycopy(runner.sampleShape(), 0, input, 1, runner.sampleShape().length);
        graphInputs.forEach(name -> shapes.putIfAbsent(name, input));
        return shapes;
    }

    /** Times the replacement of its node against the node as it is. */
    @Override
    public Verdict check(FactorizedExport.Replacement r) {
        NodeProto node = model.getGraph().getNode(r.nodeIndex());
        long[] atOne = shapesAtOne.get(node.getInput(0));
        long[] atBatch = shapesAtBatch.get(node.getInput(0));
        if (atOne == null || atBatch == null) {
            return new Verdict(true, "not timed: its input's shape is unknown");
        }
        LayerTiming.Comparison one = compare(node, r, atOne);
        LayerTiming.Comparison many = compare(node, r, atBatch);
        boolean faster = one.faster() && many.faster();
        return new Verdict(faster, String.format(Locale.ROOT, "timed in ONNX Runtime (1 thread) at %.2fx the dense "
                + "layer's time at batch %d and %.2fx at batch 1", many.medianRatio(), batchSize, one.medianRatio()),
                one.medianRatio(), many.medianRatio(), many.denseP50Ms());
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
                many.rounds(), many.medianRatio(), many.batchSize(), one.medianRatio()), one.medianRatio(),
                many.medianRatio(), many.original().p50Ms());
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
