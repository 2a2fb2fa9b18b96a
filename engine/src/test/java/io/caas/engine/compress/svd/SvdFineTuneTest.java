package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.FashionMnistModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** svd's optional fine-tuning stage on real Fashion-MNIST: same exported structure, better accuracy. */
class SvdFineTuneTest {

    private static Dataset train;
    private static Dataset test;
    private static ModelProto mlp;
    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);

    @BeforeAll
    static void load() throws InterruptedException {
        train = FashionMnistModels.slice(FashionMnistModels.load(true), 0, 10_000, true);
        test = FashionMnistModels.slice(FashionMnistModels.load(false), 0, 2_000, true);
        mlp = FashionMnistModels.train(FashionMnistModels.mlp(3, 256, 128), train, 1e-3f, 64, 400);
    }

    @Test
    void fineTuningRecoversAccuracyAndKeepsTheExportedStructure() throws Exception {
        Map<String, Object> rank8 = Map.of("rank", 8, "onlyIfFaster", false);
        CompressionResult plain = new TruncatedSvdMethod().compress(new CompressionTask(mlp, rank8,
                Optional.of(train), Optional.empty()), ProgressListener.NONE);
        List<Double> fractions = new ArrayList<>();
        ProgressListener listener = (f, m) -> fractions.add(f);
        CompressionResult tuned = new TruncatedSvdMethod().compress(new CompressionTask(mlp,
                Map.of("rank", 8, "fineTune", true, "onlyIfFaster", false), Optional.of(train), Optional.empty(),
                new TrainingBudget(null, 150L, 64, 1e-3)), listener);
        double original = Evaluator.measure(mlp, Optional.of(test), OPTIONS).top1Accuracy();
        double before = Evaluator.measure(plain.compressed(), Optional.of(test), OPTIONS).top1Accuracy();
        double after = Evaluator.measure(tuned.compressed(), Optional.of(test), OPTIONS).top1Accuracy();
        System.out.printf("svd rank 8 on the MLP: original %.4f, truncated %.4f, fine-tuned (150 steps) %.4f%n",
                original, before, after);
        assertThat(after).isGreaterThan(before + 0.01);
        assertThat(structure(tuned.compressed())).isEqualTo(structure(plain.compressed()));
        assertThat(tuned.layers()).usingRecursiveFieldByFieldElementComparator().isEqualTo(plain.layers());
        assertThat(tuned.curves().get("loss")).hasSize(150);
        assertThat(plain.curves()).doesNotContainKey("loss");
        assertThat(fractions).isSorted().last().isEqualTo(1.0);
    }

    @Test
    void withoutLabelsItDistilsAndWithoutDataItIsPlainSvd() throws Exception {
        Dataset unlabelled = FashionMnistModels.slice(train, 0, 5_000, false);
        CompressionResult plain = new TruncatedSvdMethod().compress(new CompressionTask(mlp, Map.of("rank", 8, "onlyIfFaster", false),
                Optional.empty(), Optional.empty()), ProgressListener.NONE);
        CompressionResult noData = new TruncatedSvdMethod().compress(new CompressionTask(mlp,
                Map.of("rank", 8, "fineTune", true, "onlyIfFaster", false), Optional.empty(), Optional.empty()), ProgressListener.NONE);
        assertThat(noData.compressed()).isEqualTo(plain.compressed());
        CompressionResult distilled = new TruncatedSvdMethod().compress(new CompressionTask(mlp,
                Map.of("rank", 8, "fineTune", "true", "onlyIfFaster", false), Optional.of(unlabelled), Optional.empty(),
                new TrainingBudget(null, 100L, 64, 1e-3)), ProgressListener.NONE);
        double before = Evaluator.measure(plain.compressed(), Optional.of(test), OPTIONS).top1Accuracy();
        double after = Evaluator.measure(distilled.compressed(), Optional.of(test), OPTIONS).top1Accuracy();
        System.out.printf("svd rank 8, distilled without labels (100 steps): %.4f -> %.4f%n", before, after);
        assertThat(after).isGreaterThan(before);
        assertThat(structure(distilled.compressed())).isEqualTo(structure(plain.compressed()));
    }

    /** Node op types and weight names and shapes: what must not change by fine-tuning. */
    private static List<String> structure(ModelProto m) {
        List<String> s = new ArrayList<>();
        for (NodeProto n : m.getGraph().getNodeList()) {
            s.add(n.getOpType() + n.getInputList() + n.getOutputList());
        }
        for (TensorProto t : m.getGraph().getInitializerList()) {
            s.add(t.getName() + t.getDimsList());
        }
        return s;
    }
}
