package io.caas.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetLimits;
import io.caas.engine.data.DatasetLoader;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.Classifiers;
import io.caas.engine.testing.OnnxModelBuilder;
import io.caas.engine.testing.TestData;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    private static final EvaluationOptions FAST = EvaluationOptions.defaults().withRuns(2, 10).withBatchSize(8);

    @Test
    void measuresSizeAndLatencyOfABatchableModel() {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(1, 20, 16, 4);
        ModelMeasurements m = Evaluator.measure(mlp, Optional.empty(), FAST);

        assertThat(m.parameters()).isEqualTo(20 * 16 + 16 + 16 * 4 + 4);
        assertThat(m.serializedBytes()).isEqualTo(mlp.toByteArray().length);
        assertThat(m.batchFixedToOne()).isFalse();
        assertThat(m.batch1().batchSize()).isEqualTo(1);
        assertThat(m.batchN().batchSize()).isEqualTo(8);
        assertThat(m.batchN().looped()).isFalse();
        assertThat(m.batch1().runs()).isEqualTo(10);
        assertThat(m.batch1().p50Ms()).isPositive().isLessThanOrEqualTo(m.batch1().p95Ms());
        assertThat(m.top1Accuracy()).isNull();
    }

    @Test
    void loopsSingleSampleRunsWhenTheBatchIsFixedToOne() {
        ModelProto alexa = OnnxModels.read(TestData.openWakeWord("alexa_v0.1.onnx"));
        ModelMeasurements m = Evaluator.measure(alexa, Optional.empty(), FAST);

        assertThat(m.parameters()).isEqualTo(213_377);
        assertThat(m.batchFixedToOne()).isTrue();
        assertThat(m.batchN().looped()).isTrue();
        assertThat(m.batchN().batchSize()).isEqualTo(8);
    }

    @Test
    void top1AccuracyOfANearestCentroidClassifierOnFashionMnist() {
        DatasetLimits limits = DatasetLimits.defaults();
        Dataset train = DatasetLoader.load(TestData.fashionMnist("train-images-idx3-ubyte.gz"), limits);
        Dataset test = DatasetLoader.load(TestData.fashionMnist("t10k-images-idx3-ubyte.gz"), limits);
        ModelProto model = Classifiers.nearestCentroid(train);
        int dims = 784;
        float[] w = Tensors.toFloats(model.getGraph().getInitializer(0));
        float[] bias = Tensors.toFloats(model.getGraph().getInitializer(1));
        int expectedCorrect = 0;
        for (int i = 0; i < test.size(); i++) {
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 10; c++) {
                double s = bias[c];
                for (int k = 0; k < dims; k++) {
                    s += (double) test.features()[i * dims + k] * w[k * 10 + c];
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            expectedCorrect += best == test.labels()[i] ? 1 : 0;
        }

        ModelMeasurements m = Evaluator.measure(model, Optional.of(test), FAST.withBatchSize(256));

        assertThat(m.evaluatedSamples()).isEqualTo(10_000);
        // float32 in ORT against double here may flip a near-tie or two
        assertThat(m.top1Accuracy()).isCloseTo(expectedCorrect / 10_000.0, within(0.0005));
        assertThat(m.top1Accuracy()).isGreaterThan(0.6); // nearest class mean is ~68% on Fashion-MNIST
    }

    @Test
    void agreementOfAModelWithItselfAndWithAPerturbedCopy() {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(3, 12, 10, 5);
        OutputAgreement same = Evaluator.compare(mlp, mlp, Optional.empty(), FAST);
        assertThat(same.samples()).isEqualTo(64);
        assertThat(same.argmaxAgreement()).isEqualTo(1.0);
        assertThat(same.meanCosine()).isCloseTo(1.0, within(1e-6));
        assertThat(same.maxAbsDiff()).isZero();

        TensorProto w0 = mlp.getGraph().getInitializer(0);
        float[] noisy = Tensors.toFloats(w0);
        for (int i = 0; i < noisy.length; i += 3) {
            noisy[i] = -noisy[i];
        }
        ModelProto perturbed = mlp.toBuilder().setGraph(mlp.getGraph().toBuilder().setInitializer(0,
                Tensors.floatTensor(w0.getName(), noisy, 10, 12))).build();
        OutputAgreement diff = Evaluator.compare(mlp, perturbed, Optional.empty(), FAST);
        assertThat(diff.meanCosine()).isLessThan(0.999);
        assertThat(diff.meanRelativeError()).isGreaterThan(0.01);
        assertThat(diff.maxAbsDiff()).isPositive();
    }

    @Test
    void feedsTokenIdsAndAMaskToATokenModel() {
        ModelProto tokens = OnnxModelBuilder.tokenModel(2, 1000, 8, 8, 4);
        EvaluationOptions options = FAST.withSampleShape(12);
        ModelMeasurements m = Evaluator.measure(tokens, Optional.empty(), options);
        assertThat(m.parameters()).isEqualTo(1000 * 8 + 8 * 8 + 8 * 4);
        assertThat(m.batchN().batchSize()).isEqualTo(8);
        OutputAgreement same = Evaluator.compare(tokens, tokens, Optional.empty(), options);
        assertThat(same.maxAbsDiff()).isZero();
        assertThat(same.meanCosine()).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void refusesADatasetThatDoesNotFitTheInput() {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(1, 20, 4);
        Dataset images = new Dataset("img", new long[] {1, 28, 28}, new float[784], new int[] {0}, 1);
        assertThatThrownBy(() -> Evaluator.measure(mlp, Optional.of(images), FAST))
                .isInstanceOf(EvaluationException.class).hasMessageContaining("[1, 28, 28]")
                .hasMessageContaining("[N, 20]");
    }
}
