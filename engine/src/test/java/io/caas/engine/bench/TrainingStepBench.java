package io.caas.engine.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.train.FashionMnist;
import io.caas.engine.train.FineTuner;
import io.caas.engine.train.TrainingConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Training step time of the interpreter, the Java half of scripts/bench-training-step.sh (bench/torch_peer.py is the
 * PyTorch half; see BENCHMARKS.md). Not a test: a main class in the test sources, run on the test classpath.
 *
 * <p>It loads the ONNX files bench/torch_peer.py exported (so both sides train the identical graph from identical
 * weights) and runs {@link FineTuner#train} itself, cross-entropy with Adam (lr 1e-3), for warm-up + timed steps. A
 * step's time is the interval between two consecutive {@link ProgressListener#metric} calls, which FineTuner makes once
 * per step: batch gathered into an NDArray, forward under a GradientCollector, loss, backward, Adam update of every
 * parameter, gradients zeroed, loss read back. Reported per configuration: p50/mean/p10/p90 wall time of the timed
 * steps, the process CPU time per timed step (all JVM threads, JIT and GC included; less sensitive than wall time to
 * other work on the machine) and the mean of the warm-up steps (where the JIT compiles). Prints one JSON object.
 *
 * <p>Threads: {@code -Dai.djl.pytorch.num_threads} (and OMP_NUM_THREADS in the environment), read by DJL at engine
 * start; the number libtorch really uses is reported.
 *
 * <p>Arguments: {@code --onnx DIR --data DIR [--models cnn,mlp] [--batches 1,64] [--warmup 5000] [--steps 1000]
 * [--profile DIR]}
 */
public final class TrainingStepBench {

    private TrainingStepBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("models", "cnn,mlp", "batches", "1,64", "warmup", "5000",
                "steps", "1000"));
        options(args, a);
        Path onnx = Path.of(required(a, "onnx"));
        Path data = Path.of(required(a, "data"));
        int warmup = Integer.parseInt(a.get("warmup"));
        // libtorch's profiler over the timed steps (a Chrome trace per configuration); it slows every op, so a
        // profiled run's timings are not the benchmark's. bench/profile_summary.py reads the traces.
        Path profile = a.containsKey("profile") ? Files.createDirectories(Path.of(a.get("profile"))) : null;
        int steps = Integer.parseInt(a.get("steps"));
        int[] batches = Arrays.stream(a.get("batches").split(",")).mapToInt(Integer::parseInt).toArray();
        int maxBatch = Arrays.stream(batches).max().orElseThrow();
        Dataset train = FashionMnist.load(data, "train", (warmup + steps + 1) * maxBatch, true);

        Engine engine = Engine.getEngine(OnnxInterpreter.ENGINE);
        List<String> results = new ArrayList<>();
        for (String name : a.get("models").split(",")) {
            ModelProto model = OnnxModels.read(onnx.resolve(name + ".onnx"));
            for (int batch : batches) {
                results.add(timeSteps(name, model, train, batch, warmup, steps, profile));
            }
        }
        System.out.println("{\"side\": \"interpreter\", \"engine\": \"" + engine.getEngineName() + " "
                + engine.getVersion() + "\", \"java\": \"" + System.getProperty("java.version")
                + "\", \"threads\": " + numThreads() + ", \"omp_num_threads\": " + quoted(System.getenv("OMP_NUM_THREADS"))
                + ", \"results\": [" + String.join(", ", results) + "]}");
    }

    private static String timeSteps(String name, ModelProto model, Dataset train, int batch, int warmup, int steps,
                                    Path profile) throws InterruptedException {
        int total = warmup + steps;
        long[] stamps = new long[total + 1];
        double[] losses = new double[total + 1];
        int[] seen = {0};
        long[] start = {0};
        long[] cpu = {0, 0};
        long[] threadCpu = {0, 0};
        var threads = ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void progress(double fraction, String message) {
            }

            @Override
            public void metric(String metric, long step, double value) {
                stamps[(int) step] = System.nanoTime();
                losses[(int) step] = value;
                if (step == warmup) {
                    cpu[0] = os.getProcessCpuTime();
                    threadCpu[0] = threads.getCurrentThreadCpuTime();
                    if (profile != null) {
                        JniUtils.startProfile(false, true, false);
                    }
                } else if (step == total) {
                    cpu[1] = os.getProcessCpuTime();
                    threadCpu[1] = threads.getCurrentThreadCpuTime();
                    if (profile != null) {
                        JniUtils.stopProfile(profile.resolve("java-" + name + "-b" + batch + ".json").toString());
                    }
                }
                seen[0]++;
            }
        };
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu())) {
            // More steps than one pass over the data holds go on into further epochs (reshuffled), as in a job.
            int batchesPerEpoch = (train.size() + batch - 1) / batch;
            int epochs = (total + batchesPerEpoch - 1) / batchesPerEpoch;
            TrainingConfig cfg = TrainingConfig.adam(1e-3f, batch, epochs).withMaxSteps(total)
                    .withObjective(TrainingConfig.Objective.CROSS_ENTROPY);
            if (warmup == 0) {
                cpu[0] = os.getProcessCpuTime();
                threadCpu[0] = threads.getCurrentThreadCpuTime();
            }
            start[0] = System.nanoTime();
            FineTuner.train(m, train, null, cfg, listener);
        }
        if (seen[0] != total) {
            throw new IllegalStateException("expected " + total + " steps, saw " + seen[0]);
        }
        // Step k (1-based) ends at stamps[k]; it began when step k-1 ended.
        stamps[0] = start[0];
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            int k = warmup + 1 + i;
            ms[i] = (stamps[k] - stamps[k - 1]) / 1e6;
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(ms).average().orElse(Double.NaN);
        double tail = Arrays.stream(losses, Math.max(1, total - 19), total + 1).average().orElse(Double.NaN);
        double warm = warmup == 0 ? Double.NaN : (stamps[warmup] - stamps[0]) / 1e6 / warmup;
        double cpuPerStep = (cpu[1] - cpu[0]) / 1e6 / steps;
        double threadCpuPerStep = (threadCpu[1] - threadCpu[0]) / 1e6 / steps;
        return String.format(Locale.ROOT, "{\"model\": \"%s\", \"batch\": %d, \"warmup\": %d, \"steps\": %d, "
                        + "\"p50_ms\": %.6f, \"mean_ms\": %.6f, \"p10_ms\": %.6f, \"p90_ms\": %.6f, "
                        + "\"cpu_ms_per_step\": %.6f, \"training_thread_cpu_ms_per_step\": %.6f, \"warmup_mean_ms\": %.6f, "
                        + "\"first_loss\": %.6f, \"last_loss\": %.6f}", name, batch, warmup, steps,
                percentile(sorted, 50), mean, percentile(sorted, 10), percentile(sorted, 90), cpuPerStep, threadCpuPerStep, warm,
                losses[1], tail);
    }

    /** Linear interpolation between closest ranks, as numpy's default. */
    static double percentile(double[] sorted, double p) {
        double pos = p / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    static int numThreads() {
        try {
            return (int) Class.forName("ai.djl.pytorch.jni.JniUtils").getMethod("getNumThreads").invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }

    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    /** Reads {@code --name value} pairs into {@code into}, over the defaults it already holds. */
    static void options(String[] args, Map<String, String> into) {
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            into.put(args[i].substring(2), args[i + 1]);
        }
    }

    static String required(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }
}
