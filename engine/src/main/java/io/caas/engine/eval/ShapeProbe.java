package io.caas.engine.eval;

import io.caas.engine.data.DatasetInput;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.TensorSpec;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorShapeProto;
import io.caas.engine.onnx.proto.Onnx.TypeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sizes a graph's inner values at batch 1 with ONNX Runtime. The model's inputs are fixed to one sample's shape and
 * the values asked for become graph outputs, so that ORT's shape inference sizes them while it loads the model
 * (its constant folding resolves the Shape, Gather, Concat chains exporters write for a Reshape) without running
 * anything. Only where a size depends on values does it run one all-zero sample. Inference alone never allocates
 * activations, which matters where this runs on a freshly uploaded model.
 */
public final class ShapeProbe {

    /** Largest sample the fallback run feeds: what a model's declared input can make the probe allocate. */
    static final int MAX_RUN_ELEMENTS = 1 << 24;

    private ShapeProbe() {
    }

    /**
     * @param sampleShape one sample's shape without the batch dim, as {@link ModelRunner} takes it; null for the
     *                    model's own, symbolic dims as 1
     * @param parts       how a sample splits into several inputs (a multi-input dataset); empty for one input
     * @param values      the values whose shapes are wanted, none of them a scalar (operands of products: ORT
     *                    describes an output of unknown rank as a scalar, so a scalar means one run to size it);
     *                    weights and graph inputs are sized without ORT
     * @throws EvaluationException where ORT cannot load the model with its inputs fixed, or the run fails
     */
    public static ValueShapes probe(ModelProto model, long[] sampleShape, List<DatasetInput> parts,
                                    Collection<String> values) {
        GraphProto graph = model.getGraph();
        Map<String, long[]> shapes = new HashMap<>();
        Weights.of(graph).all().forEach((name, t) -> shapes.put(name,
                t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
        List<TensorSpec> inputs = ModelInspector.inspect(model).inputs();
        if (inputs.isEmpty()) {
            throw new EvaluationException("the model has no inputs");
        }
        long[] sample = sampleShape != null ? sampleShape.clone() : ModelRunner.modelSampleShape(inputs.get(0));
        Map<String, long[]> fed = feedShapes(inputs, sample, parts);
        shapes.putAll(fed);

        Set<String> produced = new HashSet<>();
        graph.getNodeList().forEach(n -> produced.addAll(n.getOutputList()));
        Set<String> asked = new LinkedHashSet<>();
        for (String v : values) {
            if (!v.isEmpty() && !shapes.containsKey(v) && produced.contains(v)) {
                asked.add(v);
            }
        }
        if (asked.isEmpty()) {
            return new ValueShapes(shapes);
        }
        try (ModelRunner runner = new ModelRunner(probeModel(model, fed, asked), 1, sample, parts)) {
            Map<String, long[]> inferred = runner.inferredOutputShapes();
            Map<String, long[]> found = inferred;
            // ORT describes an output whose rank it could not infer as a scalar, so a scalar is taken as open here
            if (!asked.stream().allMatch(v -> known(inferred.get(v)) && inferred.get(v).length > 0)) {
                boolean inferredAll = asked.stream().allMatch(v -> known(inferred.get(v)));
                if (runner.sampleElements() > MAX_RUN_ELEMENTS) {
                    if (!inferredAll) {
                        throw new EvaluationException("shape inference left sizes open and a sample of "
                                + Arrays.toString(sample) + " is too large to run for them");
                    }
                } else {
                    try {
                        found = runner.runOutputShapes(new float[runner.sampleElements()]);
                    } catch (EvaluationException e) {
                        // only the scalars were in doubt: they may well be scalars
                        if (!inferredAll) {
                            throw e;
                        }
                    }
                }
            }
            for (String v : asked) {
                if (known(found.get(v))) {
                    shapes.put(v, found.get(v));
                }
            }
        } catch (ArithmeticException e) {
            throw new EvaluationException("the sample shape " + Arrays.toString(sample) + " overflows", e);
        }
        return new ValueShapes(shapes);
    }

    /** Each fed input's shape at batch 1, as {@link ModelRunner} feeds it. */
    private static Map<String, long[]> feedShapes(List<TensorSpec> inputs, long[] sample, List<DatasetInput> parts) {
        Map<String, long[]> fed = new HashMap<>();
        if (!parts.isEmpty()) {
            for (DatasetInput part : parts) {
                fed.put(part.name(), withBatchOne(part.sampleShape()));
            }
            return fed;
        }
        long[] main = withBatchOne(sample);
        fed.put(inputs.get(0).name(), main);
        for (TensorSpec other : inputs.subList(1, inputs.size())) {
            fed.put(other.name(), ModelRunner.otherInputShape(other, main));
        }
        return fed;
    }

    private static long[] withBatchOne(long[] sample) {
        long[] shape = new long[sample.length + 1];
        shape[0] = 1;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        return shape;
    }

    /**
     * The model with its fed inputs fixed and the asked values as outputs. Every output is given by name alone, so
     * ORT infers its type and shape rather than keep a declared symbolic one.
     */
    private static ModelProto probeModel(ModelProto model, Map<String, long[]> fed, Set<String> asked) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInputCount(); i++) {
            ValueInfoProto in = g.getInput(i);
            long[] shape = fed.get(in.getName());
            if (shape != null && in.getType().hasTensorType()) {
                TensorShapeProto.Builder dims = TensorShapeProto.newBuilder();
                for (long d : shape) {
                    dims.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
                }
                TypeProto.Tensor tensor = in.getType().getTensorType().toBuilder().setShape(dims).build();
                g.setInput(i, in.toBuilder().setType(in.getType().toBuilder().setTensorType(tensor)));
            }
        }
        Set<String> outputs = new LinkedHashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        outputs.addAll(asked);
        g.clearOutput();
        outputs.forEach(name -> g.addOutput(ValueInfoProto.newBuilder().setName(name)));
        return model.toBuilder().setGraph(g).build();
    }

    private static boolean known(long[] shape) {
        return shape != null && Arrays.stream(shape).allMatch(d -> d >= 0);
    }
}
