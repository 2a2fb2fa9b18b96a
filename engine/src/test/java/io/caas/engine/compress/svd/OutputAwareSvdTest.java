package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * outputAware: a layer whose output the rest of the model reads unevenly (a few channels scaled up, most scaled
 * down, as a LayerNorm's gain or the next layer's weight does) must keep the directions the model's output needs.
 */
class OutputAwareSvdTest {

    private static final int WIDTH = 32;

    @Test
    void weighingTheOutputSideKeepsWhatTheModelsOutputReads() throws InterruptedException {
        SplittableRandom random = new SplittableRandom(5);
        float[] gain = new float[WIDTH];
        for (int i = 0; i < WIDTH; i++) {
            gain[i] = i % 8 == 0 ? 10f : 0.1f;
        }
        ModelProto model = new OnnxModelBuilder("uneven", 13)
                .input("x", -1, WIDTH)
                .initializer("A", OnnxModelBuilder.randomWeights(random, WIDTH * WIDTH, WIDTH), WIDTH, WIDTH)
                .initializer("gain", gain, WIDTH)
                .namedNode("a", "MatMul", List.of("x", "A"), List.of("h"))
                .node("Mul", List.of("h", "gain"), List.of("y"))
                .output("y", -1, WIDTH)
                .build();
        Dataset train = OutputErrorRanksTest.correlatedInputs(512, 21);
        Dataset heldOut = OutputErrorRanksTest.correlatedInputs(256, 22);

        CompressionResult inputsOnly = compress(model, train, false);
        CompressionResult outputAware = compress(model, train, true);

        long parameters = ModelInspector.inspect(inputsOnly.compressed()).parameters();
        assertThat(ModelInspector.inspect(outputAware.compressed()).parameters()).isEqualTo(parameters);
        assertThat(outputAware.layers().get(0).note()).contains("model-output energy");
        EvaluationOptions options = EvaluationOptions.defaults().withBatchSize(64);
        double without = Evaluator.compare(model, inputsOnly.compressed(), Optional.of(heldOut), options)
                .meanRelativeError();
        double with = Evaluator.compare(model, outputAware.compressed(), Optional.of(heldOut), options)
                .meanRelativeError();
        // rank 6 cannot hold the layer's 32 directions, but it can hold the 4 channels the output amplifies
        assertThat(with).as("outputAware %.4f, inputs only %.4f", with, without).isLessThan(0.3 * without);
    }

    @Test
    void outputAwareNeedsDataToMeasureOn() {
        ModelProto model = new OnnxModelBuilder("plain", 13)
                .input("x", -1, WIDTH)
                .initializer("A", OnnxModelBuilder.randomWeights(new SplittableRandom(1), WIDTH * WIDTH, WIDTH),
                        WIDTH, WIDTH)
                .namedNode("a", "MatMul", List.of("x", "A"), List.of("y"))
                .output("y", -1, WIDTH)
                .build();
        TruncatedSvdMethod svd = new TruncatedSvdMethod();
        assertThatThrownBy(() -> svd.check(Map.of("outputAware", true), model, ModelInspector.inspect(model), false))
                .isInstanceOf(InvalidParametersException.class).hasMessageContaining("outputAware measures on the "
                        + "job's training dataset");
        assertThatThrownBy(() -> svd.check(Map.of("outputAware", true, "whitening", "none"), model,
                ModelInspector.inspect(model), true))
                .isInstanceOf(InvalidParametersException.class).hasMessageContaining("needs whitening");
        assertThatThrownBy(() -> svd.validate(Map.of("outputAware", "yes"), ModelInspector.inspect(model)))
                .isInstanceOf(InvalidParametersException.class).hasMessageContaining("outputAware");
    }

    private static CompressionResult compress(ModelProto model, Dataset train, boolean outputAware)
            throws InterruptedException {
        Map<String, Object> p = new LinkedHashMap<>(Map.of("rank", 6, "whitening", "parallel",
                "skipFirstAndLast", false, "onlyIfFaster", false, "calibrationSamples", 512));
        p.put("outputAware", outputAware);
        return new TruncatedSvdMethod().compress(new CompressionTask(model, p, Optional.of(train), Optional.empty()),
                ProgressListener.NONE);
    }
}
