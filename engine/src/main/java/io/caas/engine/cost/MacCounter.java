package io.caas.engine.cost;

import io.caas.engine.data.DatasetInput;
import io.caas.engine.eval.EvaluationException;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.TensorSpec;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Counts multiply-accumulates (MACs) per weighted layer and per model for one sample: a Conv costs
 * out·(in/group)·kh·kw·outH·outW, a dense layer over a [1, S, in] activation S·in·out. The sizes the formulas need
 * (a Conv's output, a MatMul's sequence length) come from ONNX Runtime's shape inference on the model with its
 * inputs fixed, so they are the sizes the model computes at, not guessed from parameter counts. Layers inside If
 * branches and Loop/Scan bodies are counted per run of their body ({@link NestedMacs}), apart from the totals.
 */
public final class MacCounter {

    /**
     * The size a symbolic dim other than the batch is counted at when no dataset gives the sample shape: a sequence
     * of 128 tokens, a 128×128 image. MACs of dense layers grow linearly with it, attention scores quadratically.
     */
    public static final long SYMBOLIC_DIM = 128;

    private MacCounter() {
    }

    /** The model's first input without its batch dim, symbolic dims at {@link #SYMBOLIC_DIM}. */
    public static long[] defaultSampleShape(ModelProto model) {
        List<TensorSpec> inputs = ModelInspector.inspect(model).inputs();
        if (inputs.isEmpty() || inputs.get(0).shape().isEmpty()) {
            throw new EvaluationException("the model's input declares no shape; give a sample shape");
        }
        List<Object> dims = inputs.get(0).shape();
        return dims.subList(1, dims.size()).stream().mapToLong(d -> d instanceof Long l ? l : SYMBOLIC_DIM).toArray();
    }

    /**
     * @param sampleShape one sample without the batch dim (a dataset's); null for {@link #defaultSampleShape}
     * @param parts       how a sample splits into the model's inputs (a multi-input dataset); empty for one input
     * @return the count, or one that says in its note why it could not be made
     */
    public static MacCount count(ModelProto model, long[] sampleShape, List<DatasetInput> parts) {
        try {
            long[] sample = sampleShape != null ? sampleShape.clone() : defaultSampleShape(model);
            GraphMacs macs = GraphMacs.of(model, sample, parts);
            List<LayerMacs> layers = LayerBoundary.of(model).stream().map(b -> new LayerMacs(b.node(), b.opType(),
                    macs.sum(LayerSpan.of(macs.index(), b.inputs(), b.output())))).toList();
            NestedMacs.Counted nested = NestedMacs.of(model, sample, parts);
            String note = Stream.of(macs.gaps(nested.layers().isEmpty()), nested.note()).filter(Objects::nonNull)
                    .collect(Collectors.joining("; "));
            return new MacCount(sample, layers, sum(layers.stream().map(LayerMacs::macs)), macs.total(),
                    nested.layers(), note.isEmpty() ? null : note);
        } catch (EvaluationException e) {
            return MacCount.notCounted(e.getMessage());
        }
    }

    /**
     * Counts both models alike for the same sample; each of the original's weighted layers is found again in the
     * compressed graph by dataflow ({@link LayerSpan}), so a factorized layer's figure after is its factors' MACs.
     */
    public static MacComparison compare(ModelProto original, ModelProto compressed, long[] sampleShape,
                                        List<DatasetInput> parts) {
        try {
            long[] sample = sampleShape != null ? sampleShape.clone() : defaultSampleShape(original);
            GraphMacs before = GraphMacs.of(original, sample, parts);
            GraphMacs after = GraphMacs.of(compressed, sample, parts);
            List<LayerMacsChange> layers = new ArrayList<>();
            List<String> lost = new ArrayList<>();
            for (LayerBoundary b : LayerBoundary.of(original)) {
                List<Integer> was = LayerSpan.of(before.index(), b.inputs(), b.output());
                List<Integer> is = LayerSpan.of(after.index(), b.inputs(), b.output());
                if (is.isEmpty()) {
                    lost.add(b.node());
                }
                layers.add(new LayerMacsChange(b.node(), b.opType(), before.sum(was),
                        is.isEmpty() ? null : after.sum(is), after.countedNames(is)));
            }
            List<LayerMacsChange> nested = NestedMacs.compare(original, compressed, sample, parts);
            String note = Stream.of(prefixed("original: ", before.gaps(nested.isEmpty())),
                            prefixed("compressed: ", after.gaps(nested.isEmpty())),
                            lost.isEmpty() ? null : "no nodes between the input and output of " + lost.size()
                                    + " layer(s) in the compressed model (" + GraphMacs.firstNames(lost) + ")")
                    .filter(Objects::nonNull).collect(Collectors.joining("; "));
            return new MacComparison(sample, layers, sum(layers.stream().map(LayerMacsChange::macsBefore)),
                    sum(layers.stream().map(LayerMacsChange::macsAfter)), before.total(), after.total(), nested,
                    note.isEmpty() ? null : note);
        } catch (EvaluationException e) {
            return MacComparison.notCounted(e.getMessage());
        }
    }

    private static String prefixed(String prefix, String text) {
        return text == null ? null : prefix + text;
    }

    private static Long sum(Stream<Long> values) {
        long sum = 0;
        for (Long v : (Iterable<Long>) values::iterator) {
            if (v == null) {
                return null;
            }
            sum = Math.addExact(sum, v);
        }
        return sum;
    }
}
