package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.compress.oialr.OialrMethod;
import io.caas.engine.compress.svd.TruncatedSvdMethod;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
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
 * Benchmark on the full Fashion-MNIST (60,000 train, 10,000 test), on the same pretrained MLP 784-512-256-10 as
 * OialrBenchmarkTest: ldr (Toeplitz-like at displacement ranks 1 and 2, circulant) against oialr at a high cutoff
 * and svd fine-tuned at ldr's parameter budget, each with one epoch (938 steps) of fine-tuning at its default rate.
 * Prints parameters, file size, top-1 and ONNX Runtime latency.
 * Run: mvn -B -q -pl engine test -Pslow -Dtest=LdrBenchmarkTest
 */
@Tag("slow")
class LdrBenchmarkTest {

    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(20, 200).withBatchSize(64);

    @Test
    void mlpOriginalVsLdrVsOialrVsSvd() throws Exception {
        Dataset train = FashionMnistModels.load(true);
        Dataset test = FashionMnistModels.load(false);
        ModelProto mlp = pretrained(train);
        TrainingBudget budget = new TrainingBudget(1, null, 64, null);
        // rows are printed as they come, so that a run cut short still leaves its figures
        List<String> rows = new PrintingList();
        System.out.println("model | params | bytes | top-1 (10k test) | ORT p50 batch1 ms | ORT p50 batch64 ms | "
                + "compress s | layers");
        ModelMeasurements original = Evaluator.measure(mlp, Optional.of(test), OPTIONS);
        rows.add(row("original (3 epochs)", original, 0, ""));

        long ldrBefore = 0;
        long ldrAfter = 0;
        List<Map<String, Object>> ldrRuns = List.of(Map.of("displacementRank", 1), Map.of("displacementRank", 2),
                Map.of("structure", "circulant"));
        for (Map<String, Object> params : ldrRuns) {
            Run r = run(new LdrMethod(), mlp, params, train, budget);
            ModelMeasurements m = Evaluator.measure(r.result().compressed(), Optional.of(test), OPTIONS);
            rows.add(row("ldr " + params, m, r.seconds(), describe(r.result().layers())));
            assertThat(m.parameters()).isLessThan(original.parameters());
            if (params.equals(Map.of("displacementRank", 2))) {
                for (LayerReport l : r.result().layers()) {
                    if (l.factorized()) {
                        ldrBefore += l.parametersBefore();
                        ldrAfter += l.parametersAfter();
                    }
                }
            }
        }
        for (double cutoff : new double[] {0.7}) {
            Run r = run(new OialrMethod(), mlp, Map.of("sigmaCutoff", cutoff, "onlyIfFaster", false), train, budget);
            rows.add(row("oialr sigmaCutoff " + cutoff, Evaluator.measure(r.result().compressed(), Optional.of(test),
                    OPTIONS), r.seconds(), describe(r.result().layers())));
        }
        double ratio = (double) ldrAfter / ldrBefore; // ldr rank 2's share of the two hidden layers
        Run svd = run(new TruncatedSvdMethod(), mlp, Map.of("ratio", ratio, "fineTune", true, "onlyIfFaster", false), train,
                budget);
        rows.add(row(String.format(Locale.ROOT, "svd ratio %.4f + fine-tune", ratio),
                Evaluator.measure(svd.result().compressed(), Optional.of(test), OPTIONS), svd.seconds(),
                describe(svd.result().layers())));
    }

    private static final class PrintingList extends ArrayList<String> {
        @Override
        public boolean add(String row) {
            System.out.println(row);
            System.out.flush();
            return super.add(row);
        }
    }

    private record Run(CompressionResult result, double seconds) {
    }

    private static Run run(CompressionMethod method, ModelProto mlp, Map<String, Object> params, Dataset train,
                           TrainingBudget budget) throws InterruptedException {
        long t0 = System.nanoTime();
        CompressionResult result = method.compress(new CompressionTask(mlp, params, Optional.of(train),
                Optional.empty(), budget), ProgressListener.NONE);
        return new Run(result, (System.nanoTime() - t0) / 1e9);
    }

    /** The model OialrBenchmarkTest pretrains, cached under target/ by whichever benchmark runs first. */
    private static ModelProto pretrained(Dataset train) throws Exception {
        Path cached = Path.of("target", "benchmark-mlp-784-512-256-seed11-3epochs.onnx");
        if (Files.isRegularFile(cached)) {
            return OnnxModels.read(cached);
        }
        long t0 = System.nanoTime();
        ModelProto mlp = FashionMnistModels.train(FashionMnistModels.mlp(11, 512, 256), train, 1e-3f, 64, 3 * 938);
        System.out.printf(Locale.ROOT, "pretrained MLP 784-512-256-10: 3 epochs (2814 steps) in %.0f s%n",
                (System.nanoTime() - t0) / 1e9);
        OnnxModels.write(mlp, cached);
        return mlp;
    }

    private static String row(String name, ModelMeasurements m, double seconds, String layers) {
        return String.format(Locale.ROOT, "%s | %d | %d | %.4f | %.3f | %.3f | %.1f | %s", name, m.parameters(),
                m.serializedBytes(), m.top1Accuracy(), m.batch1().p50Ms(), m.batchN().p50Ms(), seconds, layers);
    }

    private static String describe(List<LayerReport> layers) {
        List<String> out = new ArrayList<>();
        for (LayerReport l : layers) {
            out.add(l.node() + " " + l.parametersBefore() + "->" + l.parametersAfter()
                    + (l.factorized() ? " r" + l.finalRank() : " dense"));
        }
        return out.toString();
    }
}
