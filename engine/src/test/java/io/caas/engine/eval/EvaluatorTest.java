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

        ModelProto perturbed = firstWeightNegatedEvery(mlp, 3);
        OutputAgreement diff = Evaluator.compare(mlp, perturbed, Optional.empty(), FAST);
        assertThat(diff.meanCosine()).isLessThan(0.999);
        assertThat(diff.meanRelativeError()).isGreaterThan(0.01);
        assertThat(diff.maxAbsDiff()).isPositive();
        // five values, no labels, no Softmax: as likely a regression vector as class scores
        assertThat(same.measure()).isEqualTo(OutputAgreement.BY_COSINE);
        assertThat(same.outputsPerSample()).isEqualTo(5);
        assertThat(same.correlation()).isCloseTo(1.0, within(1e-9));
        assertThat(diff.correlation()).isLessThan(same.correlation());
    }

    @Test
    void aModelWithOneOutputValueIsJudgedByCorrelationNotByItsArgmax() {
        // a wake-word score: one value per sample, whose argmax always agrees and whose cosine is its sign
        ModelProto score = OnnxModelBuilder.gemmMlp(4, 12, 8, 1);
        ModelProto perturbed = firstWeightNegatedEvery(score, 2);
        OutputAgreement diff = Evaluator.compare(score, perturbed, Optional.empty(), FAST);
        assertThat(diff.argmaxAgreement()).as("one value: argmax says nothing").isEqualTo(1.0);
        assertThat(diff.measure()).isEqualTo(OutputAgreement.BY_CORRELATION);
        assertThat(diff.outputsPerSample()).isEqualTo(1);
        assertThat(diff.correlation()).isLessThan(0.95);
        assertThat(diff.meanRelativeError()).isGreaterThan(0.05);
        assertThat(Evaluator.compare(score, score, Optional.empty(), FAST).correlation())
                .isCloseTo(1.0, within(1e-9));
    }

    @Test
    void outputsAreJudgedByTheirArgmaxOnlyWhereTheyAreKnownToBeClassScores() {
        ModelProto mlp = OnnxModelBuilder.gemmMlp(3, 12, 10, 5);
        ModelProto perturbed = firstWeightNegatedEvery(mlp, 3);
        assertThat(Evaluator.compare(mlp, perturbed, Optional.empty(), FAST).measure())
                .as("unlabelled, no Softmax").isEqualTo(OutputAgreement.BY_COSINE);

        // a labelled dataset says the outputs are scores of its classes
        float[] features = new float[32 * 12];
        for (int i = 0; i < features.length; i++) {
            features[i] = (i * 7 % 13) / 13f;
        }
        Dataset labelled = new Dataset("labelled", new long[] {12}, features, new int[32], 5);
        assertThat(Evaluator.compare(mlp, perturbed, Optional.of(labelled), FAST).measure())
                .isEqualTo(OutputAgreement.BY_ARGMAX);

        // so does a Softmax at the end, through a reshape
        assertThat(Evaluator.compare(softmaxed(mlp), softmaxed(perturbed), Optional.empty(), FAST).measure())
                .isEqualTo(OutputAgreement.BY_ARGMAX);
    }

    /** The model with its output y passed through Softmax and Flatten, the output keeping its name. */
    private static ModelProto softmaxed(ModelProto model) {
        var graph = model.getGraph().toBuilder();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            var node = graph.getNode(i);
            for (int k = 0; k < node.getOutputCount(); k++) {
                if (node.getOutput(k).equals("y")) {
                    graph.setNode(i, node.toBuilder().setOutput(k, "logits"));
                }
            }
        }
        graph.addNode(io.caas.engine.onnx.proto.Onnx.NodeProto.newBuilder().setOpType("Softmax")
                .addInput("logits").addOutput("probabilities"));
        graph.addNode(io.caas.engine.onnx.proto.Onnx.NodeProto.newBuilder().setOpType("Flatten")
                .addInput("probabilities").addOutput("y"));
        return model.toBuilder().setGraph(graph).build();
    }

    /** The model with every {@code step}-th value of its first initializer negated. */
    private static ModelProto firstWeightNegatedEvery(ModelProto model, int step) {
        TensorProto w0 = model.getGraph().getInitializer(0);
        float[] noisy = Tensors.toFloats(w0);
        for (int i = 0; i < noisy.length; i += step) {
            noisy[i] = -noisy[i];
        }
        long[] dims = w0.getDimsList().stream().mapToLong(Long::longValue).toArray();
        return model.toBuilder().setGraph(model.getGraph().toBuilder().setInitializer(0,
                Tensors.floatTensor(w0.getName(), noisy, dims))).build();
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
    void aPairedMeasurementTimesBothModelsInAlternatingRounds() {
        ModelProto original = OnnxModelBuilder.gemmMlp(1, 64, 48, 10);
        ModelProto smaller = OnnxModelBuilder.gemmMlp(1, 64, 8, 10);
        PairedMeasurements m = Evaluator.measurePair(original, smaller, Optional.empty(), FAST);

        for (PairedLatency paired : List.of(m.batch1(), m.batchN())) {
            assertThat(paired.rounds()).isEqualTo(10);
            assertThat(paired.runsPerRound()).isEqualTo(1);
            assertThat(paired.original().runs()).isEqualTo(10);
            assertThat(paired.compressed().runs()).isEqualTo(10);
            assertThat(paired.original().p50Ms()).isPositive().isLessThanOrEqualTo(paired.original().p95Ms());
            assertThat(paired.compressed().p50Ms()).isPositive().isLessThanOrEqualTo(paired.compressed().p95Ms());
            assertThat(paired.medianRatio()).isPositive().isBetween(paired.ratioQ1(), paired.ratioQ3());
        }
        assertThat(m.batchN().batchSize()).isEqualTo(8);
        // each model's latency in its measurements is its side of the pairs
        assertThat(m.original().batch1()).isSameAs(m.batch1().original());
        assertThat(m.compressed().batchN()).isSameAs(m.batchN().compressed());
        assertThat(m.compressed().parameters()).isEqualTo(64 * 8 + 8 + 8 * 10 + 10);
        assertThat(m.agreement().samples()).isEqualTo(64);
    }

    @Test
    void runsWhoseP95IsFarAboveTheirP50AreCalledNoisy() {
        double[] steady = new double[20];
        java.util.Arrays.fill(steady, 10);
        steady[18] = 14; // p95 (nearest rank: the 19th of 20) is 14, 1.4x the median
        steady[19] = 14.9;
        LatencyStats calm = LatencyStats.of(1, false, steady);
        assertThat(calm.isNoisy()).isFalse();

        double[] busy = steady.clone();
        busy[18] = 31; // a neighbour's build: the 19th slowest run at 3.1x the median
        busy[19] = 40;
        LatencyStats loaded = LatencyStats.of(1, false, busy);
        assertThat(loaded.p50Ms()).isEqualTo(10);
        assertThat(loaded.spread()).isCloseTo(3.1, within(1e-12));
        assertThat(loaded.isNoisy()).isTrue();
    }

    @Test
    void roundsDisagreeWhenTheirRatiosSpreadMoreThanTenPercentOfTheMedian() {
        // four rounds of one run: ratios 1.0, 1.05, 1.1, 1.2 (Q1 1.0, median 1.05, Q3 1.1: spread 0.1 < 0.105)
        double[][] original = {{10}, {10}, {10}, {10}};
        PairedLatency steady = PairedLatency.of(1, false, false, original, new double[][] {{10}, {10.5}, {11}, {12}});
        assertThat(steady.medianRatio()).isCloseTo(1.05, within(1e-12));
        assertThat(steady.ratioQ1()).isCloseTo(1.0, within(1e-12));
        assertThat(steady.ratioQ3()).isCloseTo(1.1, within(1e-12));
        assertThat(steady.roundsDisagree()).isFalse();

        // ratios 0.8, 1.0, 1.1, 1.3: spread 0.3 > 0.1
        PairedLatency noisy = PairedLatency.of(1, false, false, original, new double[][] {{8}, {10}, {11}, {13}});
        assertThat(noisy.roundsDisagree()).isTrue();

        // a round's figure is the median of its runs, so one slow run does not move it
        PairedLatency outlier = PairedLatency.of(1, false, false, new double[][] {{10, 10, 90}, {10, 10, 10}},
                new double[][] {{5, 5, 5}, {5, 5, 5}});
        assertThat(outlier.medianRatio()).isCloseTo(0.5, within(1e-12));
        assertThat(outlier.original().runs()).isEqualTo(6);
        assertThat(outlier.original().p95Ms()).isEqualTo(90);
    }

    @Test
    void theProfileListsTheModelsNodesAndDeletesItsFile() throws Exception {
        ModelProto cnn = OnnxModelBuilder.cnn(1, 12, 10, 3, 8, 8);
        long before = profileFolders();
        ModelProfile profile = Evaluator.profile(cnn, Optional.empty(), FAST);

        for (NodeProfile p : List.of(profile.batch1(), profile.batchN())) {
            assertThat(p.runs()).isEqualTo(Evaluator.PROFILED_RUNS);
            assertThat(p.nodeMicros()).isPositive();
            assertThat(p.runMicros()).isGreaterThanOrEqualTo(p.nodeMicros() * 0.99);
            assertThat(p.top()).extracting(NodeTime::opType).contains("Conv", "MatMul", "GlobalAveragePool");
            // ORT names the convs after their fused Relu's output ("a0_nchwc"); the others keep the model's names
            assertThat(p.top()).extracting(NodeTime::node).contains("matmul_6", "globalaveragepool_4");
            assertThat(p.operators()).extracting(OperatorTime::opType).contains("Conv", "MatMul");
            assertThat(p.operators()).filteredOn(o -> o.opType().equals("Conv")).singleElement()
                    .extracting(OperatorTime::nodes).isEqualTo(2);
            assertThat(p.top().stream().mapToDouble(NodeTime::share).sum()).isCloseTo(1.0, within(1e-9));
            assertThat(p.otherNodes()).isZero();
        }
        assertThat(profile.batch1().batchSize()).isEqualTo(1);
        assertThat(profile.batchN().batchSize()).isEqualTo(8);
        assertThat(profileFolders()).isEqualTo(before);
    }

    private static long profileFolders() throws java.io.IOException {
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(f -> f.getFileName().toString().startsWith("caas-profile-")).count();
        }
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
