package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.runtime.OnnxGraph;
import io.caas.engine.runtime.ValueInfo;
import java.util.List;

/**
 * The inputs of a BERT-style token model built from its token ids alone: the dataset's samples are the ids
 * (as floats, padded with {@link #PAD_ID}); {@code attention_mask} is 1 where the id is not padding,
 * {@code token_type_ids} is 0 (single sentences). Integer inputs get int64 or int32 as the graph declares.
 */
final class TokenInputs {

    static final int PAD_ID = 0;

    private final List<ValueInfo> inputs;

    private TokenInputs(List<ValueInfo> inputs) {
        this.inputs = inputs;
    }

    /** Checks that the graph's inputs are token ids first, then only inputs this class can derive. */
    static TokenInputs of(OnnxGraph graph) {
        List<ValueInfo> inputs = graph.inputs();
        if (!integral(inputs.get(0))) {
            throw new IllegalArgumentException("fine-tuning a multi-input model needs integer token ids as its first "
                    + "input; '" + inputs.get(0).name() + "' is not integral (inputs " + names(inputs) + ")");
        }
        for (ValueInfo v : inputs.subList(1, inputs.size())) {
            if (!integral(v) || !(v.name().equals("attention_mask") || v.name().equals("token_type_ids"))) {
                throw new IllegalArgumentException("fine-tuning a multi-input model derives only integer "
                        + "attention_mask and token_type_ids from the token ids; it cannot feed '" + v.name()
                        + "' (inputs " + names(inputs) + ")");
            }
        }
        return new TokenInputs(inputs);
    }

    /** All graph inputs, in graph order, for a [batch, sequence] float array of token ids. */
    NDList inputs(NDArray ids) {
        NDList out = new NDList();
        for (ValueInfo v : inputs) {
            DataType type = v.elementType() == TensorProto.DataType.INT32_VALUE ? DataType.INT32 : DataType.INT64;
            NDArray a = switch (v.name()) {
                case "attention_mask" -> mask(ids);
                case "token_type_ids" -> ids.zerosLike();
                default -> ids;
            };
            out.add(a.toType(type, false));
        }
        return out;
    }

    /** 1 where the id is not padding, as float. */
    NDArray mask(NDArray ids) {
        return ids.neq(PAD_ID).toType(DataType.FLOAT32, false);
    }

    private static boolean integral(ValueInfo v) {
        return v.elementType() == TensorProto.DataType.INT64_VALUE || v.elementType() == TensorProto.DataType.INT32_VALUE;
    }

    private static List<String> names(List<ValueInfo> inputs) {
        return inputs.stream().map(ValueInfo::name).toList();
    }
}
