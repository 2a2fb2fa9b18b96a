package io.caas.engine.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.caas.engine.compress.FortuneTokens;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.GeluPattern;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.LayerNormPattern;
import io.caas.engine.runtime.OnnxGraph;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.ValueInfo;
import io.caas.engine.train.EmbeddingUpdates;
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
import java.util.Set;

/**
 * Training step time of the interpreter, the Java half of scripts/bench-training-step.sh (bench/torch_peer.py is the
 * PyTorch half; see BENCHMARKS.md). Not a test: a main class in the test sources, run on the test classpath.
 *
 * <p>It loads the ONNX files bench/torch_peer.py exported (so both sides train the identical graph from identical
 * weights) and runs {@link FineTuner#train} itself, cross-entropy with Adam (lr 1e-3), for warm-up + timed steps. A
 * step's time is the interval between two consecutive {@link ProgressListener#metric} calls, which FineTuner makes once
 * per step: batch gathered into an NDArray, forward under a GradientCollector, loss, backward, Adam update of every
 * parameter, gradients zeroed, loss read back. Reported per configuration: p50/mean/p10/p90 wall time of the timed
 * steps, how many took more than 4× the p50, the process CPU time per timed step (all JVM threads, JIT and GC included; less sensitive than wall time to
 * other work on the machine) and the mean of the warm-up steps (where the JIT compiles). Prints one JSON object.
 *
 * <p>Models: the image models cnn and mlp (Fashion-MNIST, {@code --data}) and the token model minilm (inputs
 * input_ids and attention_mask, two classes), which trains on the fortunes token file of
 * {@link io.caas.engine.compress.FortuneTokens} ({@code --tokens DIR}; FineTuner feeds the ids and derives the mask
 * as id ≠ 0, which that file's mask is). A configuration is a batch size, for minilm {@code BxS} (batch B of S
 * tokens; a plain B means {@code --seq}). For minilm the JSON also holds the graph's node count, the operators the
 * interpreter runs per pass (after fusing LayerNorm and GELU chains and keeping shape-only values) and how many
 * LayerNorm and GELU chains it fused.
 *
 * <p>Threads: {@code -Dai.djl.pytorch.num_threads} (and OMP_NUM_THREADS in the environment), read by DJL at engine
 * start; the number libtorch really uses is reported.
 *
 * <p>Arguments: {@code --onnx DIR [--data DIR] [--tokens DIR] [--models cnn,mlp] [--batches 1,64]
 * [--seq 64] [--warmup 5000] [--steps 1000] [--profile DIR] [--embeddings dense|sparse]}
 */
public final class TrainingStepBench {

    /** Models whose inputs are token ids (and a mask), trained on a {@link FortuneTokens} file. */
    static final Set<String> TOKEN_MODELS = Set.of("minilm");

    /** One configuration: a batch size, and the sequence length of a token model (0 for an image model). */
    record Config(int batch, int seq) {

        static Config parse(String model, String text, int defaultSeq) {
            String[] parts = text.strip().split("x");
            int batch = Integer.parseInt(parts[0]);
            if (TOKEN_MODELS.contains(model)) {
                return new Config(batch, parts.length > 1 ? Integer.parseInt(parts[1]) : defaultSeq);
            }
            if (parts.length > 1) {
                throw new IllegalArgumentException(model + " takes images: batch " + text + " has a sequence length");
            }
            return new Config(batch, 0);
        }

        String label() {
            return seq == 0 ? "b" + batch : "b" + batch + "x" + seq;
        }
    }

    private TrainingStepBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("models", "cnn,mlp", "batches", "1,64", "warmup", "5000",
                "steps", "1000", "seq", "64", "embeddings", "dense"));
        options(args, a);
        Path onnx = Path.of(required(a, "onnx"));
        int warmup = Integer.parseInt(a.get("warmup"));
        // libtorch's profiler over the timed steps (a Chrome trace per configuration); it slows every op, so a
        // profiled run's timings are not the benchmark's. bench/profile_summary.py reads the traces.
        Path profile = a.containsKey("profile") ? Files.createDirectories(Path.of(a.get("profile"))) : null;
        int steps = Integer.parseInt(a.get("steps"));
        int seq = Integer.parseInt(a.get("seq"));
        List<String> models = List.of(a.get("models").split(","));
        EmbeddingUpdates embeddings = EmbeddingUpdates.ofWireName(a.get("embeddings")).orElseThrow(
                () -> new IllegalArgumentException("--embeddings is one of " + EmbeddingUpdates.wireNames()));
        Map<String, List<Config>> configs = new LinkedHashMap<>();
        for (String name : models) {
            configs.put(name, Arrays.stream(a.get("batches").split(",")).map(c -> Config.parse(name, c, seq)).toList());
        }
        int maxImageBatch = configs.entrySet().stream().filter(e -> !TOKEN_MODELS.contains(e.getKey()))
                .flatMap(e -> e.getValue().stream()).mapToInt(Config::batch).max().orElse(0);
        Dataset images = maxImageBatch == 0 ? null
                : FashionMnist.load(Path.of(required(a, "data")), "train", (warmup + steps + 1) * maxImageBatch, true);

        Engine engine = Engine.getEngine(OnnxInterpreter.ENGINE);
        List<String> results = new ArrayList<>();
        for (String name : models) {
            ModelProto model = OnnxModels.read(onnx.resolve(name + ".onnx"));
            for (Config c : configs.get(name)) {
                Dataset train = c.seq() == 0 ? images
                        : FortuneTokens.read(Path.of(required(a, "tokens")).resolve("fortunes-s" + c.seq() + ".bin"));
                results.add(timeSteps(name, model, train, c, warmup, steps, profile, embeddings));
            }
        }
        System.out.println("{\"side\": \"interpreter\", \"engine\": \"" + engine.getEngineName() + " "
                + engine.getVersion() + "\", \"java\": \"" + System.getProperty("java.version")
                + "\", \"threads\": " + numThreads() + ", \"omp_num_threads\": " + quoted(System.getenv("OMP_NUM_THREADS"))
                + ", \"results\": [" + String.join(", ", results) + "]}");
    }

    private static String timeSteps(String name, ModelProto model, Dataset train, Config config, int warmup,
                                    int steps, Path profile, EmbeddingUpdates embeddings) throws InterruptedException {
        int batch = config.batch();
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
                        JniUtils.stopProfile(profile.resolve("java-" + name + "-" + config.label() + ".json").toString());
                    }
                }
                seen[0]++;
            }
        };
        String graphFacts = "";
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu())) {
            // More steps than one pass over the data holds go on into further epochs (reshuffled), as in a job.
            int batchesPerEpoch = (train.size() + batch - 1) / batch;
            int epochs = (total + batchesPerEpoch - 1) / batchesPerEpoch;
            TrainingConfig cfg = TrainingConfig.adam(1e-3f, batch, epochs).withMaxSteps(total)
                    .withObjective(TrainingConfig.Objective.CROSS_ENTROPY).withEmbeddingUpdates(embeddings);
            if (warmup == 0) {
                cpu[0] = os.getProcessCpuTime();
                threadCpu[0] = threads.getCurrentThreadCpuTime();
            }
            start[0] = System.nanoTime();
            FineTuner.train(m, train, null, cfg, listener);
            if (config.seq() != 0) {
                graphFacts = graphFacts(m);
            }
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
        // Steps far slower than the median: a periodic cost (a leak's allocations, a flush) shows here, not in p50.
        double median = percentile(sorted, 50);
        long slow = Arrays.stream(ms).filter(v -> v > 4 * median).count();
        double cpuPerStep = (cpu[1] - cpu[0]) / 1e6 / steps;
        double threadCpuPerStep = (threadCpu[1] - threadCpu[0]) / 1e6 / steps;
        return String.format(Locale.ROOT, "{\"model\": \"%s\", \"batch\": %d, %s\"warmup\": %d, \"steps\": %d, "
                        + "\"p50_ms\": %.6f, \"mean_ms\": %.6f, \"p10_ms\": %.6f, \"p90_ms\": %.6f, "
                        + "\"steps_over_4x_p50\": %d, "
                        + "\"cpu_ms_per_step\": %.6f, \"training_thread_cpu_ms_per_step\": %.6f, \"warmup_mean_ms\": %.6f, "
                        + "\"first_loss\": %.6f, \"last_loss\": %.6f%s}", name, batch,
                config.seq() == 0 ? "" : "\"seq\": " + config.seq() + ", ", warmup, steps,
                median, mean, percentile(sorted, 10), percentile(sorted, 90), slow, cpuPerStep, threadCpuPerStep, warm,
                losses[1], tail, graphFacts);
    }

    /**
     * The number of weights trained, the graph's node count, the operators the interpreter ran in its last pass (a
     * training forward pass: fused chains count once, steps whose values it keeps for the input shapes not at all)
     * and the LayerNorm and GELU chains it fuses, as JSON members after a comma.
     */
    private static String graphFacts(InterpretedModel m) {
        OnnxGraph g = m.block().graph();
        Set<String> outputs = Set.copyOf(g.outputs().stream().map(ValueInfo::name).toList());
        long trained = m.block().getParameters().values().stream().filter(p -> p.requiresGradient())
                .mapToLong(p -> p.getArray().size()).sum();
        return String.format(Locale.ROOT, ", \"trained_parameters\": %d, \"graph_nodes\": %d, "
                        + "\"operators_per_pass\": %d, \"fused_layernorms\": %d, \"fused_gelus\": %d", trained,
                g.nodes().size(), m.block().operatorsRunPerPass(), LayerNormPattern.find(g).size(),
                GeluPattern.find(g.nodes(), g.weights(), outputs).size());
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
