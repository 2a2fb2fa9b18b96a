package io.caas.engine.compress.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.compress.oialr.OialrMethod;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark on the full Fashion-MNIST (60,000 train, 10,000 test): a CNN trained by the engine for one epoch
 * (Conv 1→16, Conv 16→32, Gemm 1568→64, Gemm 64→10), its 3×3 conv 16→32 compressed by oialr and by tucker, cp
 * and tt at the parameter share oialr kept on it (sigmaCutoff 0.5, every 50 steps: its default 0.2 kept the full
 * rank in 300 steps), each without and with fine-tuning on the same budget (300 steps, batch 64, Adam 1e-3 as
 * oialr's default).
 * Prints parameters, file size, accuracy, ONNX Runtime latency and the layer's note.
 * Run: mvn -B -q -pl engine test -Pslow -Dtest=TensorBenchmarkTest
 */
@Tag("slow")
class TensorBenchmarkTest {

    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(20, 200).withBatchSize(64);
    private static final String CONV = "conv_3";
    private static final long STEPS = 300;

    @Test
    void cnnOriginalVsOialrVsTuckerCpTtAtMatchedParameters() throws Exception {
        Dataset train = FashionMnistModels.load(true);
        Dataset test = FashionMnistModels.load(false);
        // the pretrained model is kept under target/ so that reruns skip the slowest part
        Path cached = Path.of("target", "benchmark-cnn-16-32-64-seed7-1epoch.onnx");
        ModelProto cnn;
        if (Files.isRegularFile(cached)) {
            cnn = OnnxModels.read(cached);
        } else {
            long t0 = System.nanoTime();
            cnn = FashionMnistModels.train(FashionMnistModels.cnn(7, 16, 32, 64), train, 1e-3f, 64, 938);
            System.out.printf(Locale.ROOT, "pretrained CNN: 1 epoch (938 steps) in %.0f s%n",
                    (System.nanoTime() - t0) / 1e9);
            OnnxModels.write(cnn, cached);
        }
        // 300 steps: on the shared 2-core machine a full epoch per method would take most of an hour
        TrainingBudget budget = new TrainingBudget(null, STEPS, 64, null); // oialr's default rate, 1e-3
        System.out.println("model | params | bytes | top-1 (10k test) | ORT p50 batch1 ms | ORT p50 batch64 ms | "
                + "compress s | conv_3");
        ModelMeasurements original = Evaluator.measure(cnn, Optional.of(test), OPTIONS);
        System.out.println(row("original", original, 0, ""));

        long s = System.nanoTime();
        OialrMethod.Outcome o = new OialrMethod().run(new CompressionTask(cnn, Map.of("layers", List.of(CONV),
                "sigmaCutoff", 0.5, "frequency", 50, "onlyIfFaster", false),
                Optional.of(train), Optional.empty(), budget), ProgressListener.NONE);
        LayerReport oialrConv = conv(o.result().layers());
        System.out.println(row(String.format(Locale.ROOT, "oialr (%d steps)", o.steps()),
                Evaluator.measure(o.result().compressed(), Optional.of(test), OPTIONS), seconds(s),
                "rank " + oialrConv.finalRank() + "/" + oialrConv.originalRank() + ", " + oialrConv.parametersAfter()
                        + " of " + oialrConv.parametersBefore()));
        double matched = (double) oialrConv.parametersAfter() / oialrConv.parametersBefore();

        for (String method : List.of("tucker", "cp", "tt")) {
            for (Double lr : new Double[] {null, 1e-3}) {
                boolean fineTune = lr != null;
                long t = System.nanoTime();
                CompressionResult r = CompressionMethods.get(method).compress(new CompressionTask(cnn,
                        Map.of("ratio", matched, "fineTune", fineTune, "sensitivitySamples", fineTune ? 0 : 500),
                        Optional.of(train), Optional.of(test), new TrainingBudget(null, STEPS, 64, lr)),
                        ProgressListener.NONE);
                double sec = seconds(t);
                ModelMeasurements m = Evaluator.measure(r.compressed(), Optional.of(test), OPTIONS);
                LayerReport c = conv(r.layers());
                System.out.println(row(String.format(Locale.ROOT, "%s ratio %.3f%s", method, matched,
                        fineTune ? " + fine-tune lr " + lr : ""), m, sec,
                        c.parametersAfter() + " of " + c.parametersBefore() + "; " + c.note()));
                assertThat(m.parameters()).isLessThan(original.parameters());
            }
        }
    }

    private static LayerReport conv(List<LayerReport> layers) {
        return layers.stream().filter(l -> l.node().equals(CONV)).findFirst().orElseThrow();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static String row(String name, ModelMeasurements m, double seconds, String conv) {
        return String.format(Locale.ROOT, "%s | %d | %d | %.4f | %.3f | %.3f | %.1f | %s", name, m.parameters(),
                m.serializedBytes(), m.top1Accuracy(), m.batch1().p50Ms(), m.batchN().p50Ms(), seconds, conv);
    }
}
