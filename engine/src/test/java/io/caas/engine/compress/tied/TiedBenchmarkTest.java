package io.caas.engine.compress.tied;

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
import io.caas.engine.eval.OutputAgreement;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark on the full Fashion-MNIST (60,000 train, 10,000 test): an MLP 784-128-512-128-10 trained by the engine
 * for 3 epochs, its 128→512→128 block tied with each initialisation, untrained and after one epoch of fine-tuning
 * with labels; against the dense model trained for the same extra epoch, oialr on the same two layers, and svd at
 * exactly the tied parameter count (rank 51 on both layers) with the same fine-tuning. Prints parameters, file
 * size, top-1, argmax agreement with the original, ONNX Runtime p50 latency (one thread) and run time.
 * Run: mvn -B -q -pl engine test -Pslow -Dtest=TiedBenchmarkTest
 */
@Tag("slow")
class TiedBenchmarkTest {

    private static final EvaluationOptions OPTIONS = EvaluationOptions.defaults().withRuns(20, 200).withBatchSize(64);
    private static final List<String> PAIR = List.of("gemm_3", "gemm_5");

    @Test
    void mlpBottleneckTiedVsOialrVsSvd() throws Exception {
        Dataset train = FashionMnistModels.load(true);
        Dataset test = FashionMnistModels.load(false);
        Path cached = Path.of("target", "benchmark-mlp-784-128-512-128-seed5-3epochs.onnx");
        ModelProto mlp;
        if (Files.isRegularFile(cached)) {
            mlp = OnnxModels.read(cached);
        } else {
            mlp = FashionMnistModels.train(FashionMnistModels.mlp(5, 128, 512, 128), train, 1e-3f, 64, 3 * 938);
            OnnxModels.write(mlp, cached);
        }
        TrainingBudget epoch = new TrainingBudget(1, null, 64, null);
        List<String> rows = new ArrayList<>();
        rows.add(row("original (3 epochs)", mlp, mlp, test, 0));
        for (TiedInit init : TiedInit.values()) {
            rows.add(run("tied init " + init.parameterValue() + ", not fine-tuned", mlp, "tied",
                    Map.of("init", init.parameterValue(), "fineTune", false), train, test, epoch));
            rows.add(run("tied init " + init.parameterValue() + " + 1 epoch (lr 1e-3)", mlp, "tied",
                    Map.of("init", init.parameterValue()), train, test, epoch));
        }
        rows.add(run("tied init average + 1 epoch (lr 1e-4)", mlp, "tied", Map.of(), train, test,
                new TrainingBudget(1, null, 64, 1e-4)));
        rows.add(run("tied init average + 1 epoch, only W trained", mlp, "tied", Map.of("trainOnlyTied", true),
                train, test, epoch));
        // baseline: the dense model given the same extra epoch
        long t0 = System.nanoTime();
        ModelProto dense = FashionMnistModels.train(mlp, train, 1e-3f, 64, 938);
        rows.add(row("dense + 1 epoch (lr 1e-3)", dense, mlp, test, (System.nanoTime() - t0) / 1e9));
        for (double cutoff : new double[] {0.2, 0.3}) {
            rows.add(run("oialr on the pair's layers, sigmaCutoff " + cutoff + " (1 epoch, lr 1e-3)", mlp, "oialr",
                    Map.of("layers", PAIR, "sigmaCutoff", cutoff, "onlyIfFaster", false), train, test, epoch));
        }
        rows.add(run("svd rank 51 on the pair's layers + 1 epoch (lr 1e-4)", mlp, "svd",
                Map.of("rank", 51, "layers", PAIR, "fineTune", true, "onlyIfFaster", false), train, test, epoch));
        System.out.println("| model | parameters | bytes | top-1 | agreement with original | ORT p50 ms b=1 | "
                + "ORT p50 ms b=64 | run s | layers |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
    }

    private static String run(String name, ModelProto original, String method, Map<String, Object> params,
                              Dataset train, Dataset test, TrainingBudget budget) throws Exception {
        long t0 = System.nanoTime();
        CompressionResult r = CompressionMethods.get(method).compress(new CompressionTask(original,
                new LinkedHashMap<>(params), Optional.of(train), Optional.empty(), budget), ProgressListener.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<String> layers = new ArrayList<>();
        for (LayerReport l : r.layers()) {
            if (l.factorized()) {
                layers.add(l.node() + (method.equals("tied") ? "" : " rank " + l.finalRank()));
            }
        }
        String row = row(name, r.compressed(), original, test, seconds) + " " + String.join(", ", layers) + " |";
        System.out.println(row);
        return row;
    }

    private static String row(String name, ModelProto m, ModelProto original, Dataset test, double seconds) {
        ModelMeasurements mm = Evaluator.measure(m, Optional.of(test), OPTIONS);
        OutputAgreement a = Evaluator.compare(original, m, Optional.of(test), OPTIONS);
        assertThat(mm.parameters()).isPositive();
        return String.format(Locale.ROOT, "| %s | %,d | %,d | %.4f | %.4f | %.3f | %.3f | %.1f |", name,
                mm.parameters(), mm.serializedBytes(), mm.top1Accuracy(), a.argmaxAgreement(), mm.batch1().p50Ms(),
                mm.batchN().p50Ms(), seconds);
    }
}
