package io.caas.engine.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.train.Evaluation;
import io.caas.engine.train.FashionMnist;
import io.caas.engine.train.FineTuner;
import io.caas.engine.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The interpreter's training on one device, CPU or CUDA, for bench/gpu/run-on-device.sh (see bench/gpu/README.md and
 * BENCHMARKS.md). Not a test: a main class in the test sources, run on the test classpath.
 *
 * <p>Two parts, both through {@link FineTuner#train} exactly as a job trains (cross-entropy, Adam lr 1e-3, the
 * seeded batch order of {@link TrainingConfig}'s default seed), from the weights of one ONNX file:
 * <ol>
 *   <li>curve: {@code --curve-steps} steps at {@code --curve-batch}, the loss of every step recorded (FineTuner reads
 *   each loss back to the host, so every step ends with the device synchronised), then top-1 accuracy on the test
 *   split. Run on two devices, the two curves start from the same weights and see the same batches in the same
 *   order, so they differ only by the arithmetic of the two devices' kernels.</li>
 *   <li>step time, per batch size in {@code --batches}: a fresh model, {@code --warmup} steps, then {@code --steps}
 *   timed steps; a step's time is the interval between two consecutive {@link ProgressListener#metric} calls, as
 *   in TrainingStepBench (batch to the device, forward, loss, backward, Adam, loss read back to the host).</li>
 * </ol>
 * It also reports where the model's arrays really live (the device of a parameter and of an output), so that a run
 * that silently fell back to the CPU shows.
 *
 * <p>Arguments: {@code --onnx FILE --data DIR --device cpu|gpu [--curve-steps 500] [--curve-batch 64]
 * [--batches 1,64] [--warmup 500] [--steps 500] [--out FILE]}. Prints one JSON object (and writes it to --out).
 */
public final class GpuTrainingCheck {

    private GpuTrainingCheck() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("device", "cpu", "curve-steps", "500", "curve-batch", "64",
                "batches", "1,64", "warmup", "500", "steps", "500"));
        TrainingStepBench.options(args, a);
        Path onnx = Path.of(TrainingStepBench.required(a, "onnx"));
        Path data = Path.of(TrainingStepBench.required(a, "data"));
        Device device = switch (a.get("device")) {
            case "cpu" -> Device.cpu();
            case "gpu", "cuda" -> Device.gpu();
            default -> throw new IllegalArgumentException("--device cpu|gpu, got " + a.get("device"));
        };
        int curveSteps = Integer.parseInt(a.get("curve-steps"));
        int curveBatch = Integer.parseInt(a.get("curve-batch"));
        int warmup = Integer.parseInt(a.get("warmup"));
        int steps = Integer.parseInt(a.get("steps"));
        int[] batches = Arrays.stream(a.get("batches").split(",")).filter(s -> !s.isBlank())
                .mapToInt(Integer::parseInt).toArray();

        long t0 = System.nanoTime();
        Engine engine = Engine.getEngine(OnnxInterpreter.ENGINE);
        double engineStartS = (System.nanoTime() - t0) / 1e9;
        int gpus = engine.getGpuCount();
        log("engine " + engine.getEngineName() + " " + engine.getVersion() + " started in "
                + String.format(Locale.ROOT, "%.1f", engineStartS) + " s, GPUs visible: " + gpus
                + ", device " + device);
        if (device.isGpu() && gpus == 0) {
            // DJL counts GPUs through libcudart found by JNA, not through libtorch: a count of 0 can mean only that
            // JNA found no libcudart.so. Where the arrays really are is checked below.
            log("warning: DJL counts no GPU (libcudart not found by JNA?); going on with " + device);
        }

        int maxBatch = Math.max(curveBatch, Arrays.stream(batches).max().orElse(1));
        int trainSize = (int) Math.min(60_000L, Math.max((long) curveSteps * curveBatch,
                (long) (warmup + steps) * maxBatch));
        Dataset train = FashionMnist.load(data, "train", trainSize, true);
        Dataset test = Files.exists(data.resolve("t10k-images-idx3-ubyte.gz"))
                ? FashionMnist.load(data, "t10k", 10_000, true) : null;
        ModelProto model = OnnxModels.read(onnx);

        StringJoiner out = new StringJoiner(", ", "{", "}");
        out.add("\"device\": " + quoted(device.toString()));
        out.add("\"engine\": " + quoted(engine.getEngineName() + " " + engine.getVersion()));
        out.add("\"libtorch\": " + quoted(libtorchPath()));
        out.add("\"java\": " + quoted(System.getProperty("java.version")));
        out.add("\"gpu_count\": " + gpus);
        out.add("\"threads\": " + TrainingStepBench.numThreads());
        out.add("\"engine_start_s\": " + num(engineStartS));
        out.add("\"train_samples\": " + train.size());
        out.add(curve(model, device, train, test, curveSteps, curveBatch));
        List<String> timings = new ArrayList<>();
        for (int batch : batches) {
            timings.add(timeSteps(model, device, train, batch, warmup, steps));
        }
        out.add("\"timings\": [" + String.join(", ", timings) + "]");
        String json = out.toString();
        if (a.containsKey("out")) {
            Files.writeString(Path.of(a.get("out")), json + "\n");
        }
        System.out.println(json);
    }

    private static String curve(ModelProto model, Device device, Dataset train, Dataset test, int total, int batch)
            throws InterruptedException {
        double[] losses = new double[total];
        int[] seen = {0};
        ProgressListener listener = new ProgressListener() {
            @Override
            public void progress(double fraction, String message) {
            }

            @Override
            public void metric(String metric, long step, double value) {
                losses[(int) step - 1] = value;
                seen[0]++;
            }
        };
        StringJoiner out = new StringJoiner(", ", "\"curve\": {", "}");
        try (InterpretedModel m = OnnxInterpreter.load(model, device)) {
            String parameterDevice = m.block().getParameters().values().iterator().next().getArray().getDevice()
                    .toString();
            long start = System.nanoTime();
            FineTuner.train(m, train, null, config(train, batch, total), listener);
            double trainS = (System.nanoTime() - start) / 1e9;
            if (seen[0] != total) {
                throw new IllegalStateException("expected " + total + " steps, saw " + seen[0]);
            }
            log(device + ": curve of " + total + " steps at batch " + batch + " in "
                    + String.format(Locale.ROOT, "%.2f", trainS) + " s, first loss " + losses[0] + ", last "
                    + losses[total - 1]);
            out.add("\"batch\": " + batch);
            out.add("\"steps\": " + total);
            out.add("\"model_device\": " + quoted(m.device().toString()));
            out.add("\"parameter_device\": " + quoted(parameterDevice));
            out.add("\"seconds\": " + num(trainS));
            if (test != null) {
                try (var probe = m.manager().newSubManager()) {
                    NDArray x = probe.zeros(new ai.djl.ndarray.types.Shape(2, 1, 28, 28));
                    out.add("\"output_device\": " + quoted(m.forward(new ai.djl.ndarray.NDList(x)).head().getDevice()
                            .toString()));
                }
                long e0 = System.nanoTime();
                double accuracy = Evaluation.accuracy(m, test, 1000);
                out.add("\"test_accuracy\": " + num(accuracy));
                out.add("\"eval_seconds\": " + num((System.nanoTime() - e0) / 1e9));
                log(device + ": test accuracy " + accuracy);
            }
        }
        StringJoiner l = new StringJoiner(", ", "[", "]");
        for (double v : losses) {
            l.add(String.format(Locale.ROOT, "%.7g", v));
        }
        out.add("\"losses\": " + l);
        return out.toString();
    }

    private static String timeSteps(ModelProto model, Device device, Dataset train, int batch, int warmup, int steps)
            throws InterruptedException {
        int total = warmup + steps;
        long[] stamps = new long[total + 1];
        int[] seen = {0};
        ProgressListener listener = new ProgressListener() {
            @Override
            public void progress(double fraction, String message) {
            }

            @Override
            public void metric(String metric, long step, double value) {
                stamps[(int) step] = System.nanoTime();
                seen[0]++;
            }
        };
        try (InterpretedModel m = OnnxInterpreter.load(model, device)) {
            stamps[0] = System.nanoTime();
            FineTuner.train(m, train, null, config(train, batch, total), listener);
        }
        if (seen[0] != total) {
            throw new IllegalStateException("expected " + total + " steps, saw " + seen[0]);
        }
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            int k = warmup + 1 + i;
            ms[i] = (stamps[k] - stamps[k - 1]) / 1e6;
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(ms).average().orElse(Double.NaN);
        double warm = warmup == 0 ? Double.NaN : (stamps[warmup] - stamps[0]) / 1e6 / warmup;
        double p50 = TrainingStepBench.percentile(sorted, 50);
        log(device + ": batch " + batch + " p50 " + String.format(Locale.ROOT, "%.3f", p50) + " ms over " + steps
                + " steps after " + warmup + " warm-up steps");
        return String.format(Locale.ROOT, "{\"batch\": %d, \"warmup\": %d, \"steps\": %d, \"p50_ms\": %.6f, "
                        + "\"mean_ms\": %.6f, \"p10_ms\": %.6f, \"p90_ms\": %.6f, \"warmup_mean_ms\": %.6f}",
                batch, warmup, steps, p50, mean,
                TrainingStepBench.percentile(sorted, 10), TrainingStepBench.percentile(sorted, 90), warm);
    }

    private static TrainingConfig config(Dataset train, int batch, int total) {
        int batchesPerEpoch = (train.size() + batch - 1) / batch;
        int epochs = (total + batchesPerEpoch - 1) / batchesPerEpoch;
        return TrainingConfig.adam(1e-3f, batch, epochs).withMaxSteps(total)
                .withObjective(TrainingConfig.Objective.CROSS_ENTROPY);
    }

    private static String libtorchPath() {
        try {
            return (String) Class.forName("ai.djl.pytorch.jni.LibUtils").getMethod("getLibtorchPath").invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static void log(String message) {
        System.err.println("gpu-check: " + message);
    }

    static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6f", v) : "null";
    }

    static String quoted(String s) {
        return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
