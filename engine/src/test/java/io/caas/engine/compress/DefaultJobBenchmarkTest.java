package io.caas.engine.compress;

import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.LayerTiming;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.ComparisonCnn;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.testing.TestData;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 20's rule for defaults, measured: the default job (the method alone, no parameters, the default training
 * budget) on the Fashion-MNIST ResNet and Transformer exported from PyTorch and on the engine-trained comparison
 * CNN ({@link ComparisonCnn#trained}), svd without and with training data (all 60,000 training
 * images) and oialr (which needs them). Each row: parameters, layers factorized, top-1 on the 10,000 test images
 * against the original's, and the paired speed-up over the original at batch 1 and 32 (ONNX Runtime, 1 thread, 15
 * alternating rounds of 5 runs, median of the per-round ratios, original time / compressed time: above 1 is
 * faster), with the original timed against itself first as the noise control.
 *
 * <p>Run: {@code mvn -B -o -q -pl engine test -Pslow -Dtest=DefaultJobBenchmarkTest}
 * ({@code -Ddefaults.models=cnn,transformer,resnet}, {@code -Ddefaults.jobs=svd,svd+data,oialr} to choose;
 * {@code svd+drop0.01} is svd with training data and {@code maxAccuracyDrop} 0.01, a job's
 * {@code target.maxAccuracyDrop}; {@code svd+speed2} targetSpeedup 2 at batch 32, a job's {@code target.speedup},
 * with {@code +ft2000} fine-tuning for at most 2,000 steps, {@code +lr5e-4} at that Adam rate; see
 * {@link #parameters}).
 */
@Tag("slow")
class DefaultJobBenchmarkTest {

    @Test
    void theDefaultJobOnEachModel() throws Exception {
        Dataset train = FashionMnistModels.load(true);
        Dataset test = FashionMnistModels.load(false);
        EvaluationOptions accuracy = EvaluationOptions.defaults().withRuns(1, 3).withBatchSize(500);
        List<String> jobs = List.of(System.getProperty("defaults.jobs", "svd,svd+data,oialr").split(","));
        for (String name : System.getProperty("defaults.models", "cnn,transformer,resnet").split(",")) {
            ModelProto model = switch (name) {
                case "cnn" -> ComparisonCnn.trained();
                case "resnet" -> OnnxModels.read(TestData.file("fashion-models/resnet-fashion.onnx"));
                case "transformer" -> OnnxModels.read(TestData.file("fashion-models/transformer-fashion.onnx"));
                default -> throw new IllegalArgumentException("unknown model " + name);
            };
            double before = Evaluator.measure(model, Optional.of(test), accuracy).top1Accuracy();
            System.out.println("defaults: " + row(name, "original against itself", model, model, before, before, 0));
            for (String job : jobs) {
                String method = job.startsWith("oialr") ? "oialr" : "svd";
                Optional<Dataset> data = job.equals("svd") ? Optional.empty() : Optional.of(train);
                Map<String, Object> parameters = parameters(job);
                java.util.regex.Matcher steps = java.util.regex.Pattern.compile("\\+ft([0-9]+)").matcher(job);
                java.util.regex.Matcher rate = java.util.regex.Pattern.compile("\\+lr([0-9.eE-]+)").matcher(job);
                TrainingBudget budget = steps.find() ? new TrainingBudget(null, Long.parseLong(steps.group(1)), null,
                        rate.find() ? Double.parseDouble(rate.group(1)) : null) : TrainingBudget.DEFAULTS;
                long t0 = System.nanoTime();
                CompressionResult r = CompressionMethods.get(method).compress(new CompressionTask(model, parameters,
                        data, Optional.empty(), budget), (fraction, message) -> {
                            if (message.contains("whole compressed model") || message.contains("accuracy budget")
                                    || message.contains("speed target") || message.contains("factorized")) {
                                System.out.println("defaults:     (" + message + ")");
                            }
                        });
                double secs = (System.nanoTime() - t0) / 1e9;
                double after = Evaluator.measure(r.compressed(), Optional.of(test), accuracy).top1Accuracy();
                System.out.println("defaults: " + row(name, job, model, r.compressed(), before, after, secs));
                for (LayerReport l : r.layers()) {
                    System.out.println("defaults:     " + l.node() + " " + Arrays.toString(l.matrixShape()) + " "
                            + l.parametersBefore() + " -> " + l.parametersAfter() + ": " + l.note());
                }
            }
        }
    }

    /**
     * The job's parameters: none; {@code svd+drop0.01} maxAccuracyDrop 0.01; {@code svd+speed2} targetSpeedup 2 (a
     * job's target.speedup at the evaluation batch of 32), {@code +spatial}/{@code +channels} fixing the conv form
     * and {@code +ft2000} fine-tuning for at most 2,000 steps (a job's budget.maxSteps).
     */
    private static Map<String, Object> parameters(String job) {
        Map<String, Object> p = new java.util.LinkedHashMap<>();
        if (job.startsWith("svd+drop")) {
            p.put("maxAccuracyDrop", Double.parseDouble(job.substring("svd+drop".length())));
        }
        java.util.regex.Matcher speed = java.util.regex.Pattern.compile("\\+speed([0-9.]+)").matcher(job);
        if (speed.find()) {
            p.put("targetSpeedup", Double.parseDouble(speed.group(1)));
            p.put("timingBatchSize", 32);
        }
        if (job.contains("+spatial")) {
            p.put("convForm", "spatial");
        } else if (job.contains("+channels")) {
            p.put("convForm", "channels");
        }
        if (job.contains("+ft")) {
            p.put("fineTune", true);
        }
        return p;
    }

    /** A table row: model, job, parameters, top-1 before and after, paired speed-up at batch 1 and 32, seconds. */
    private static String row(String model, String job, ModelProto original, ModelProto m, double before,
                              double after, double secs) {
        LayerTiming.Comparison one = LayerTiming.compare(original, m, new long[] {1, 1, 28, 28}, 1, 15, 5);
        LayerTiming.Comparison many = LayerTiming.compare(original, m, new long[] {32, 1, 28, 28}, 1, 15, 5);
        return String.format(Locale.ROOT, "| %s | %s | %,d → %,d | %.4f → %.4f (%+.2f points) | %.2fx | %.2fx | %.0f |",
                model, job, ModelInspector.inspect(original).parameters(), ModelInspector.inspect(m).parameters(),
                before, after, 100 * (after - before), 1 / one.medianRatio(), 1 / many.medianRatio(), secs);
    }
}
