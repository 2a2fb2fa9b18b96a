package io.caas.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.NormalizationModels;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Distillation of a BERT-shaped three-input token model, its mask and token types derived from the ids. */
class TokenFineTuningTest {

    private static final int VOCAB = 50;
    private static final int SEQ = 6;

    /** input_ids, attention_mask, token_type_ids (int64) → [N, S, 4], the mask zeroing padded positions. */
    static ModelProto bertShaped(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int dim = 8;
        return new OnnxModelBuilder("bert-shaped", 11)
                .typedInput("input_ids", TensorProto.DataType.INT64_VALUE, -1, -1)
                .typedInput("attention_mask", TensorProto.DataType.INT64_VALUE, -1, -1)
                .typedInput("token_type_ids", TensorProto.DataType.INT64_VALUE, -1, -1)
                .initializer("emb", OnnxModelBuilder.randomWeights(r, VOCAB * dim, 1), VOCAB, dim)
                .initializer("types", OnnxModelBuilder.randomWeights(r, 2 * dim, 1), 2, dim)
                .initializer("w", OnnxModelBuilder.randomWeights(r, dim * 4, dim), dim, 4)
                .node("Gather", List.of("emb", "input_ids"), List.of("e"))
                .node("Gather", List.of("types", "token_type_ids"), List.of("t"))
                .node("Add", List.of("e", "t"), List.of("et"))
                .node("Cast", List.of("attention_mask"), List.of("m"),
                        OnnxModelBuilder.integer("to", TensorProto.DataType.FLOAT_VALUE))
                .node("Unsqueeze", List.of("m"), List.of("m3"), OnnxModelBuilder.ints("axes", 2))
                .node("Mul", List.of("et", "m3"), List.of("masked"))
                .node("MatMul", List.of("masked", "w"), List.of("y"))
                .output("y", -1, -1, 4).build();
    }

    /** Token ids 1..VOCAB-1, each sample padded with id 0 after a random length of 2 to SEQ. */
    static Dataset ids(int n, long seed) {
        return NormalizationModels.tokenIds(n, VOCAB, SEQ, seed);
    }

    @Test
    void distilsATokenModelFromItsIdsAlone() throws Exception {
        Dataset data = ids(256, 3);
        List<Double> losses = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void progress(double fraction, String message) {
            }

            @Override
            public void metric(String name, long step, double value) {
                losses.add(value);
            }
        };
        try (InterpretedModel teacher = OnnxInterpreter.load(bertShaped(1), Device.cpu());
             InterpretedModel student = OnnxInterpreter.load(bertShaped(2), Device.cpu())) {
            TrainingResult result = FineTuner.train(student, data, teacher,
                    TrainingConfig.adam(2e-2f, 32, 20).withMaxSteps(120).withObjective(TrainingConfig.Objective.MSE),
                    listener);
            assertThat(result.steps()).isEqualTo(120);
        }
        double first = losses.subList(0, 5).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = losses.subList(losses.size() - 5, losses.size()).stream().mapToDouble(Double::doubleValue)
                .average().orElseThrow();
        assertThat(last).isLessThan(first * 0.3);
    }

    @Test
    void refusesInputsItCannotDerive() throws Exception {
        ModelProto other = OnnxModelBuilder.tokenModel(1, VOCAB, 4, 4, 2); // inputs "ids" and "mask"
        try (InterpretedModel m = OnnxInterpreter.load(other, Device.cpu())) {
            assertThatThrownBy(() -> FineTuner.train(m, ids(8, 1), m, TrainingConfig.adam(1e-3f, 4, 1),
                    ProgressListener.NONE)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'mask'");
        }
    }
}
