package io.caas.engine.compress.svd;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.LayerTiming;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.testing.TestData;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The models exported from PyTorch 1.13 by scripts/export-fashion-models.sh (the ResNet-style CNN: BatchNorm folded
 * into 3x3 convs at 32/64/128 channels, residual adds, top-1 0.918; or the 2-layer Transformer encoder classifier,
 * 0.894) through svd at several ratios, plain and whitened (sequential, 512 training samples), without and with
 * fine-tuning: top-1 on the 10,000 test images and ONNX
 * Runtime p50 at batch 1 and 32 (1 thread). Latency here is two absolute measurements apart, for orientation only;
 * speed-ups are claimed from paired runs.
 *
 * <p>Run: {@code mvn -B -o -q -pl engine test -Pslow -Dtest=WhitenedFashionExportsBenchmarkTest}
 * ({@code -Dfashion.model=transformer-fashion.onnx} for the Transformer; default resnet-fashion.onnx)
 * ({@code -Dfashion.ratios=0.5,0.3}, "default" for svd's own size rule, {@code -Dfashion.convForm=spatial}, {@code -Dfashion.whitening=none,sequential}, {@code -Dfashion.fineTuneSteps=0}
 * to skip fine-tuning, {@code -Dfashion.fineTunedOnly=true} to skip the rows without it). Columns: setting,
 * parameters, top-1, p50 ms at batch 1 and 32, paired speed-up at batch 1 and 32, compression seconds.
 */
@Tag("slow")
class WhitenedFashionExportsBenchmarkTest {

    @Test
    void whitenedAgainstPlainOnAnExportedModel() throws Exception {
        ModelProto model = OnnxModels.read(TestData.file("fashion-models/"
                + System.getProperty("fashion.model", "resnet-fashion.onnx")));
        Dataset train = FashionMnistModels.load(true);
        Dataset test = FashionMnistModels.load(false);
        EvaluationOptions options = EvaluationOptions.defaults().withRuns(3, 15).withBatchSize(32);
        long steps = Long.getLong("fashion.fineTuneSteps", 2000);
        System.out.println(row("original", model, model, test, options, Double.NaN));
        List<Boolean> tuning = steps == 0 ? List.of(false)
                : Boolean.getBoolean("fashion.fineTunedOnly") ? List.of(true) : List.of(false, true);
        for (String ratio : System.getProperty("fashion.ratios", "0.5,0.3").split(",")) {
            for (String whitening : System.getProperty("fashion.whitening", "none,sequential").split(",")) {
                for (boolean fineTune : tuning) {
                    Map<String, Object> p = new LinkedHashMap<>();
                    if (!ratio.equals("default")) {
                        p.put("ratio", Double.parseDouble(ratio));
                        p.put("onlyIfFaster", false); // the ratio's ranks as asked, as these rows were measured
                    }
                    p.put("whitening", whitening);
                    p.put("convForm", System.getProperty("fashion.convForm", "channels"));
                    p.put("fineTune", fineTune);
                    long t0 = System.nanoTime();
                    CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(model, p,
                            Optional.of(train), Optional.empty(), new TrainingBudget(null, steps, 64, null)),
                            ProgressListener.NONE);
                    double secs = (System.nanoTime() - t0) / 1e9;
                    System.out.println(row("svd " + p, model, r.compressed(), test, options, secs));
                    if (!fineTune) {
                        for (LayerReport l : r.layers()) {
                            System.out.println("    " + l.node() + " " + l.parametersBefore() + " -> "
                                    + l.parametersAfter() + ": " + l.note());
                        }
                    }
                }
            }
        }
    }

    /**
     * Parameters, top-1, ONNX Runtime p50 at batch 1 and 32, and the paired speed-up over the original at both
     * (median of per-round ratios, 15 alternating rounds of 5 runs, 1 thread).
     */
    private static String row(String what, ModelProto original, ModelProto m, Dataset test,
                              EvaluationOptions options, double secs) {
        ModelMeasurements mm = Evaluator.measure(m, Optional.of(test), options);
        LayerTiming.Comparison one = LayerTiming.compare(original, m, new long[] {1, 1, 28, 28}, 1, 15, 5);
        LayerTiming.Comparison many = LayerTiming.compare(original, m, new long[] {32, 1, 28, 28}, 1, 15, 5);
        return String.format(Locale.ROOT, "| %s | %,d | %.4f | %.2f | %.2f | %.2fx | %.2fx | %s |", what,
                ModelInspector.inspect(m).parameters(), mm.top1Accuracy(), mm.batch1().p50Ms(), mm.batchN().p50Ms(),
                1 / one.medianRatio(), 1 / many.medianRatio(),
                Double.isNaN(secs) ? "" : String.format(Locale.ROOT, "%.0f", secs));
    }
}
