package io.caas.engine.compress.bilinear;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.testing.FusionModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark on the full Fashion-MNIST (60,000 train, 10,000 test): the two-input fusion model (image halves, dense
 * encoders 392→64, a 64×64×64 bilinear layer, classifier 64→10) trained by the engine for 2 epochs, then
 * original vs bilinear at several ratios (fitted only, and fitted + 1 epoch of fine-tuning) vs svd and oialr on
 * the encoders (the only layers they can reach) with the same 1-epoch budget. Prints params, file size, accuracy and ONNX Runtime latency.
 * The same model with its bilinear layer in PyTorch's MatMul export form, original and compressed, in a second test.
 * Run: mvn -B -q -pl engine test -Pslow -Dtest=BilinearBenchmarkTest (the MatMul form alone:
 * -Dtest=BilinearBenchmarkTest#matMulFormOfTheFusionModel)
 */
@Tag("slow")
class BilinearBenchmarkTest {

    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(20, 200).withBatchSize(64);

    @Test
    void fusionModelOriginalVsBilinearVsSvdAndOialr() throws Exception {
        Dataset train = FusionModels.halves(FashionMnistModels.load(true));
        Dataset test = FusionModels.halves(FashionMnistModels.load(false));
        ModelProto fusion = pretrained(train);
        TrainingBudget epoch = new TrainingBudget(1, null, 64, null); // 938 steps, each method's default rate
        List<String> rows = new ArrayList<>();
        ModelMeasurements original = Evaluator.measure(fusion, Optional.of(test), OPTIONS);
        rows.add(row("original", original, 0, ""));

        for (double ratio : new double[] {0.1, 0.05, 0.02}) {
            for (boolean fineTune : new boolean[] {false, true}) {
                long s = System.nanoTime();
                CompressionResult r = CompressionMethods.get("bilinear").compress(new CompressionTask(fusion,
                        Map.of("ratio", ratio, "fineTune", fineTune), Optional.of(train), Optional.empty(), epoch),
                        ProgressListener.NONE);
                double seconds = (System.nanoTime() - s) / 1e9;
                ModelMeasurements m = Evaluator.measure(r.compressed(), Optional.of(test), OPTIONS);
                rows.add(row(String.format(Locale.ROOT, "bilinear ratio %.2f%s", ratio,
                        fineTune ? " + 1 epoch" : " (fit only)"), m, seconds, ranks(r.layers())));
                assertThat(m.parameters()).isLessThan(original.parameters());
            }
        }
        // svd and oialr reach the dense layers only (encoders and classifier); the 3-D bilinear weight is not theirs.
        // Their defaults keep the classifier dense; svd at 95 % energy, oialr at cutoffs 0.2 (default) and 0.3.
        long s = System.nanoTime();
        CompressionResult svd = CompressionMethods.get("svd").compress(new CompressionTask(fusion,
                Map.of("fineTune", true, "onlyIfFaster", false), Optional.of(train), Optional.empty(), epoch), ProgressListener.NONE);
        rows.add(row("svd energy 0.95 on the encoders + 1 epoch", Evaluator.measure(svd.compressed(),
                Optional.of(test), OPTIONS), (System.nanoTime() - s) / 1e9, ranks(svd.layers())));
        for (double cutoff : new double[] {0.2, 0.3}) {
            s = System.nanoTime();
            CompressionResult oialr = CompressionMethods.get("oialr").compress(new CompressionTask(fusion,
                    Map.of("sigmaCutoff", cutoff, "onlyIfFaster", false), Optional.of(train), Optional.empty(), epoch), ProgressListener.NONE);
            rows.add(row(String.format(Locale.ROOT, "oialr cutoff %.1f on the encoders, 1 epoch", cutoff),
                    Evaluator.measure(oialr.compressed(), Optional.of(test), OPTIONS), (System.nanoTime() - s) / 1e9,
                    ranks(oialr.layers())));
        }

        System.out.println("model | params | bytes | top-1 (10k test) | ORT p50 batch1 ms | ORT p50 batch64 ms | "
                + "compress s | ranks");
        rows.forEach(System.out::println);
    }

    /**
     * The same pretrained model with its bilinear layer written as PyTorch exports it without einsum (MatMul,
     * run-time Reshape, Unsqueeze, Mul, ReduceSum): what the original costs in that form, and that bilinear
     * compresses it to the same models as the Einsum form.
     */
    @Test
    void matMulFormOfTheFusionModel() throws Exception {
        Dataset train = FusionModels.halves(FashionMnistModels.load(true));
        Dataset test = FusionModels.halves(FashionMnistModels.load(false));
        ModelProto einsum = pretrained(train);
        ModelProto matMul = FusionModels.matMulForm(einsum);
        TrainingBudget epoch = new TrainingBudget(1, null, 64, null);
        List<String> rows = new ArrayList<>();
        ModelMeasurements einsumOriginal = Evaluator.measure(einsum, Optional.of(test), OPTIONS);
        ModelMeasurements matMulOriginal = Evaluator.measure(matMul, Optional.of(test), OPTIONS);
        rows.add(row("original, Einsum form", einsumOriginal, 0, ""));
        rows.add(row("original, MatMul form", matMulOriginal, 0, ""));
        assertThat(matMulOriginal.top1Accuracy()).isEqualTo(einsumOriginal.top1Accuracy());
        for (double ratio : new double[] {0.1, 0.05, 0.02}) {
            for (ModelProto form : List.of(einsum, matMul)) {
                long s = System.nanoTime();
                CompressionResult r = CompressionMethods.get("bilinear").compress(new CompressionTask(form,
                        Map.of("ratio", ratio, "fineTune", false), Optional.empty(), Optional.empty()),
                        ProgressListener.NONE);
                double seconds = (System.nanoTime() - s) / 1e9;
                rows.add(row(String.format(Locale.ROOT, "bilinear ratio %.2f (fit only) from the %s form", ratio,
                        form == einsum ? "Einsum" : "MatMul"), Evaluator.measure(r.compressed(), Optional.of(test),
                        OPTIONS), seconds, ranks(r.layers())));
            }
        }
        long s = System.nanoTime();
        CompressionResult tuned = CompressionMethods.get("bilinear").compress(new CompressionTask(matMul,
                Map.of("ratio", 0.02), Optional.of(train), Optional.empty(), epoch), ProgressListener.NONE);
        rows.add(row("bilinear ratio 0.02 + 1 epoch from the MatMul form", Evaluator.measure(tuned.compressed(),
                Optional.of(test), OPTIONS), (System.nanoTime() - s) / 1e9, ranks(tuned.layers())));
        System.out.println("model | params | bytes | top-1 (10k test) | ORT p50 batch1 ms | ORT p50 batch64 ms | "
                + "compress s | ranks");
        rows.forEach(System.out::println);
    }

    /** The fusion model pretrained for 2 epochs, kept under target/ so that reruns skip the slowest part. */
    private static ModelProto pretrained(Dataset train) throws InterruptedException {
        Path cached = Path.of("target", "benchmark-fusion-64-64-seed31-2epochs.onnx");
        if (Files.isRegularFile(cached)) {
            return OnnxModels.read(cached);
        }
        long t0 = System.nanoTime();
        ModelProto fusion = FashionMnistModels.train(FusionModels.model(31, 64, 64), train, 1e-3f, 64, 2 * 938);
        System.out.printf(Locale.ROOT, "pretrained fusion model: 2 epochs (1876 steps) in %.0f s%n",
                (System.nanoTime() - t0) / 1e9);
        OnnxModels.write(fusion, cached);
        return fusion;
    }

    private static String row(String name, ModelMeasurements m, double seconds, String ranks) {
        return String.format(Locale.ROOT, "%s | %d | %d | %.4f | %.3f | %.3f | %.1f | %s", name, m.parameters(),
                m.serializedBytes(), m.top1Accuracy(), m.batch1().p50Ms(), m.batchN().p50Ms(), seconds, ranks);
    }

    private static String ranks(List<LayerReport> layers) {
        List<String> out = new ArrayList<>();
        for (LayerReport l : layers) {
            out.add(l.node() + ":" + l.finalRank() + "/" + l.originalRank() + (l.factorized() ? "" : "(dense)"));
        }
        return out.toString();
    }
}
