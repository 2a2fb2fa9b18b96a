package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The probe behind the ldr row of the method comparison (BENCHMARKS.md): a CNN whose only structured layer is its
 * 784→128 Gemm (Conv 8 → Conv 16 → Gemm 128 → Gemm 10, the last kept dense), 6,000 training images, 200 steps,
 * at Adam 1e-3 and 1e-4. Prints accuracy on 1,000 test images and the first and last loss.
 * Run: mvn -B -pl engine test -Pslow -Dtest=LdrOnSmallCnnBenchmarkTest
 */
@Tag("slow")
class LdrOnSmallCnnBenchmarkTest {

    @Test
    void oneStructuredLayerAfterConvolutionsTrains() throws Exception {
        Dataset train = FashionMnistModels.slice(FashionMnistModels.load(true), 0, 6000, true);
        Dataset test = FashionMnistModels.slice(FashionMnistModels.load(false), 0, 1000, true);
        ModelProto cnn = FashionMnistModels.train(FashionMnistModels.cnn(5, 8, 16, 128), train, 1e-3f, 64, 300);
        EvaluationOptions options = EvaluationOptions.defaults().withRuns(2, 5).withBatchSize(64);
        System.out.printf("original: top-1 %.3f%n", Evaluator.measure(cnn, Optional.of(test), options).top1Accuracy());
        for (double lr : new double[] {1e-3, 1e-4}) {
            CompressionResult r = new LdrMethod().compress(new CompressionTask(cnn, Map.of("fineTune", true),
                    Optional.of(train), Optional.empty(), new TrainingBudget(null, 200L, 64, lr)),
                    ProgressListener.NONE);
            List<double[]> loss = r.curves().get("loss");
            System.out.printf("ldr, Adam %.0e, 200 steps: top-1 %.3f, loss %.3f -> %.3f%n", lr,
                    Evaluator.measure(r.compressed(), Optional.of(test), options).top1Accuracy(),
                    loss.get(0)[1], loss.get(loss.size() - 1)[1]);
            r.layers().forEach(l -> System.out.println("  " + l.node() + ": " + l.parametersBefore() + " -> "
                    + l.parametersAfter() + ", " + l.note()));
            assertThat(ModelInspector.inspect(r.compressed()).parameters())
                    .isLessThan(ModelInspector.inspect(cnn).parameters());
        }
    }
}
