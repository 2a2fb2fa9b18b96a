package io.caas.engine.compress;

import io.caas.engine.data.Dataset;
import io.caas.engine.text.WordPieceTokenizer;
import io.caas.engine.train.TrainableGroup;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Step time of oialr's distillation on all-MiniLM-L6-v2 (issue 16): the teacher's forward pass, the student's in
 * three-factor form with its backward pass, and the optimizer update. Not a test: a main class in the test sources,
 * run on the test classpath (BENCHMARKS.md, "oialr distillation step on MiniLM", has the command).
 *
 * <p>It runs {@link io.caas.engine.compress.oialr.OialrMethod} itself, as a job would, on the fortunes training
 * sentences of {@link MiniLmBenchmarkTest} (64 tokens), with one re-orthogonalisation period longer than the run, so
 * every step trains the same graph. A step is the interval between two consecutive loss metrics; the first
 * {@code --warmup} steps are left out. The run happens on a thread of its own, as on a service worker (libtorch's
 * gradient mode is per thread, and only the thread that started the engine begins with it off).
 *
 * <p>Arguments: {@code [--batch 8] [--warmup 2] [--steps 5] [--train default|all|compressed,other,...]}, where
 * {@code --train} is the budget's list of weight kinds to train ("default" leaves it unset).
 */
public final class DistillationStepBench {

    private DistillationStepBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("batch", "8", "warmup", "2", "steps", "5",
                "train", "default"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].substring(2), args[i + 1]);
        }
        int batch = Integer.parseInt(a.get("batch"));
        int warmup = Integer.parseInt(a.get("warmup"));
        int steps = Integer.parseInt(a.get("steps"));
        int total = warmup + steps;
        MiniLmBenchmarkTest.Setup setup = MiniLmBenchmarkTest.Setup.load(MiniLmBenchmarkTest.HELD_OUT);
        WordPieceTokenizer tok = setup.tok();
        Dataset data = MiniLmBenchmarkTest.tokenDataset(tok, setup.train());
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("frequency", total + 1);
        p.put("onlyIfFaster", false);
        TrainingBudget budget = new TrainingBudget(null, (long) total, batch, null, groups(a.get("train")));
        long[] stamps = new long[total + 1];
        StringBuilder messages = new StringBuilder();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void progress(double fraction, String message) {
                if (message.contains("fine-tun") || message.contains("trainable") || message.contains("frozen")) {
                    messages.append(message).append('\n');
                }
            }

            @Override
            public void metric(String name, long step, double value) {
                if (name.equals("loss") && step <= total) {
                    stamps[(int) step] = System.nanoTime();
                }
            }
        };
        Throwable[] failure = {null};
        Thread worker = new Thread(() -> {
            try {
                CompressionMethods.get("oialr").compress(new CompressionTask(setup.model(), p, Optional.of(data),
                        Optional.empty(), budget), listener);
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "distillation-bench");
        worker.start();
        worker.join();
        if (failure[0] != null) {
            throw new IllegalStateException(failure[0]);
        }
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            int k = warmup + 1 + i;
            ms[i] = (stamps[k] - stamps[k - 1]) / 1e6;
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        System.out.print(messages);
        System.out.printf(Locale.ROOT, "{\"bench\": \"oialr-distillation-step\", \"batch\": %d, \"seq\": %d, "
                        + "\"train\": \"%s\", \"warmup\": %d, \"steps\": %d, \"p50_ms\": %.1f, \"min_ms\": %.1f, "
                        + "\"max_ms\": %.1f, \"step_ms\": %s}%n", batch, MiniLmBenchmarkTest.TRAIN_SEQ, a.get("train"),
                warmup, steps, sorted[steps / 2] / 2 + sorted[(steps - 1) / 2] / 2, sorted[0], sorted[steps - 1],
                Arrays.toString(Arrays.stream(ms).map(v -> Math.round(v)).toArray()));
    }

    private static Set<TrainableGroup> groups(String train) {
        if (train.equals("default")) {
            return null;
        }
        if (train.equals("all")) {
            return EnumSet.allOf(TrainableGroup.class);
        }
        return Arrays.stream(train.split(",")).map(n -> TrainableGroup.ofWireName(n).orElseThrow(
                () -> new IllegalArgumentException("--train: no group '" + n + "'"))).collect(
                        java.util.stream.Collectors.toSet());
    }
}
