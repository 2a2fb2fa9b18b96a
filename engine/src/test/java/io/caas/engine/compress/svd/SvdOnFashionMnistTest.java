package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetLimits;
import io.caas.engine.data.DatasetLoader;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.Classifiers;
import io.caas.engine.testing.TestData;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Datasets, svd and the evaluator together: accuracy of a factorized classifier on the real test set. */
class SvdOnFashionMnistTest {

    private static Dataset test;
    private static ModelProto centroids;

    @BeforeAll
    static void fit() {
        DatasetLimits limits = DatasetLimits.defaults();
        centroids = Classifiers.nearestCentroid(
                DatasetLoader.load(TestData.fashionMnist("train-images-idx3-ubyte.gz"), limits));
        test = DatasetLoader.load(TestData.fashionMnist("t10k-images-idx3-ubyte.gz"), limits);
    }

    @Test
    void accuracyIsKeptAtFullRankAndDegradesAsTheRankFalls() throws InterruptedException {
        EvaluationOptions options = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);
        double original = Evaluator.measure(centroids, Optional.of(test), options).top1Accuracy();

        double previous = -1;
        for (int rank : new int[] {2, 5, 10}) {
            // the classifier is the model's only (so last) layer: name it to factorize it
            CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(centroids,
                    Map.of("rank", rank, "layers", "gemm_1", "onlyIfSmaller", false, "onlyIfFaster", false), Optional.empty(),
                    Optional.of(test)), ProgressListener.NONE);
            double accuracy = Evaluator.measure(r.compressed(), Optional.of(test), options).top1Accuracy();
            if (rank == 10) {
                assertThat(accuracy).isEqualTo(original, org.assertj.core.api.Assertions.within(0.001));
            } else {
                assertThat(accuracy).isLessThan(original);
            }
            assertThat(accuracy).isGreaterThan(previous);
            previous = accuracy;
        }
    }
}
