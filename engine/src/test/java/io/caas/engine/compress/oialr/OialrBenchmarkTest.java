package io.caas.engine.compress.oialr;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.compress.svd.TruncatedSvdMethod;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark on the full Fashion-MNIST (60,000 train, 10,000 test): an MLP trained by the engine, then original vs
 * oialr vs svd at a matched parameter budget (svd's ratio set to what oialr kept), svd with and without
 * fine-tuning on the same budget. Prints params, file size, accuracy and ONNX Runtime latency.
 * Run: mvn -B -o -q -pl engine test -Pslow -Dtest=OialrBenchmarkTest
 */
@Tag("slow")
class OialrBenchmarkTest {

    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(20, 200).withBatchSize(64);

    @Test
    void mlpOriginalVsOialrVsSvdAtMatchedParameters() throws Exception {
        Dataset train = FashionMnistModels.load(true);
        Dataset test = FashionMnistModels.load(false);
        // the pretrained model is kept under target/ so that reruns skip the slowest part
        java.nio.file.Path cached = java.nio.file.Path.of("target", "benchmark-mlp-784-512-256-seed11-3epochs.onnx");
        ModelProto mlp;
        if (java.nio.file.Files.isRegularFile(cached)) {
            mlp = io.caas.engine.onnx.OnnxModels.read(cached);
        } else {
            long t0 = System.nanoTime();
            mlp = FashionMnistModels.train(FashionMnistModels.mlp(11, 512, 256), train, 1e-3f, 64, 3 * 938);
            System.out.printf(Locale.ROOT, "pretrained MLP 784-512-256-10: 3 epochs (2814 steps) in %.0f s%n",
                    (System.nanoTime() - t0) / 1e9);
            io.caas.engine.onnx.OnnxModels.write(mlp, cached);
        }
        TrainingBudget budget = new TrainingBudget(2, null, 64, null); // 1876 steps, each method's default rate
        List<String> rows = new ArrayList<>();
        ModelMeasurements original = Evaluator.measure(mlp, Optional.of(test), OPTIONS);
        rows.add(row("original", original, 0));

        for (double cutoff : new double[] {0.1, 0.2, 0.3}) {
            if (cutoff > 0.1) {
                // the same with a tenth of oialr's default rate, for comparison with svd's fine-tuning rate
                long s1 = System.nanoTime();
                OialrMethod.Outcome slow = new OialrMethod().run(new CompressionTask(mlp,
                        Map.of("sigmaCutoff", cutoff, "onlyIfFaster", false), Optional.of(train), Optional.empty(),
                        new TrainingBudget(2, null, 64, 1e-4)), ProgressListener.NONE);
                double sec1 = (System.nanoTime() - s1) / 1e9;
                rows.add(row(String.format(Locale.ROOT, "oialr cutoff %.1f lr 1e-4 (%d steps)", cutoff, slow.steps()),
                        Evaluator.measure(slow.result().compressed(), Optional.of(test), OPTIONS), sec1)
                        + "  ranks " + ranks(slow.result().layers()));
            }
            long s = System.nanoTime();
            OialrMethod.Outcome o = new OialrMethod().run(new CompressionTask(mlp, Map.of("sigmaCutoff", cutoff, "onlyIfFaster", false),
                    Optional.of(train), Optional.empty(), budget), ProgressListener.NONE);
            double seconds = (System.nanoTime() - s) / 1e9;
            ModelMeasurements m = Evaluator.measure(o.result().compressed(), Optional.of(test), OPTIONS);
            rows.add(row(String.format(Locale.ROOT, "oialr cutoff %.1f (%d steps)", cutoff, o.steps()), m, seconds)
                    + "  ranks " + ranks(o.result().layers()));
            // svd at the same parameter share on the layers oialr factorized
            long before = 0;
            long after = 0;
            List<String> names = new ArrayList<>();
            for (LayerReport l : o.result().layers()) {
                if (l.factorized()) {
                    before += l.parametersBefore();
                    after += l.parametersAfter();
                    names.add(l.node());
                }
            }
            if (names.isEmpty()) {
                rows.add("  (oialr factorized no layer at this cutoff: no svd match)");
                continue;
            }
            double ratio = (double) after / before;
            for (Double lr : new Double[] {null, 1e-3, 1e-4}) {
                boolean fineTune = lr != null;
                long s2 = System.nanoTime();
                CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(mlp,
                        Map.of("ratio", ratio, "layers", names, "fineTune", fineTune, "onlyIfFaster", false), Optional.of(train),
                        Optional.empty(), new TrainingBudget(2, null, 64, lr)), ProgressListener.NONE);
                double sec = (System.nanoTime() - s2) / 1e9;
                ModelMeasurements m2 = Evaluator.measure(r.compressed(), Optional.of(test), OPTIONS);
                rows.add(row(String.format(Locale.ROOT, "  svd ratio %.3f%s", ratio,
                        fineTune ? " + fine-tune lr " + lr : ""), m2, sec) + "  ranks " + ranks(r.layers()));
            }
            assertThat(m.parameters()).isLessThanOrEqualTo(original.parameters());
        }
        System.out.println("model | params | bytes | top-1 (10k test) | ORT p50 batch1 ms | ORT p50 batch64 ms | "
                + "compress s");
        rows.forEach(System.out::println);
    }

    private static String row(String name, ModelMeasurements m, double seconds) {
        return String.format(Locale.ROOT, "%s | %d | %d | %.4f | %.3f | %.3f | %.1f", name, m.parameters(),
                m.serializedBytes(), m.top1Accuracy(), m.batch1().p50Ms(), m.batchN().p50Ms(), seconds);
    }

    private static String ranks(List<LayerReport> layers) {
        List<String> out = new ArrayList<>();
        for (LayerReport l : layers) {
            out.add(l.node() + ":" + l.finalRank() + "/" + l.originalRank() + (l.factorized() ? "" : "(dense)"));
        }
        return out.toString();
    }
}
