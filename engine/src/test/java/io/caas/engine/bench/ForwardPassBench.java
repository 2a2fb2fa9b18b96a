package io.caas.engine.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.TorchRuntime;
import io.caas.engine.train.FashionMnist;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Time of the interpreter's forward pass without autograd, as a distillation teacher's and an evaluation's passes
 * run, on the Fashion-MNIST images of bench/torch_peer.py's exported models (cnn, mlp): consecutive batches of real
 * images, outputs read back. Not a test: a main class in the test sources, run on the test classpath; it prints one
 * JSON object with the keys of {@link TrainingStepBench} that apply, so {@code BENCH_CLASS=... bench/ab-engine-builds.sh}
 * compares two builds with it.
 *
 * <p>Arguments: {@code --onnx DIR --data DIR [--models cnn,mlp] [--batches 1,64] [--warmup 2000] [--steps 1000]}, or
 * for any model with one float input {@code --model FILE --shape 8,3,48,320} (inputs uniform in [0, 1), the batch is
 * the shape's first entry).
 */
public final class ForwardPassBench {

    private ForwardPassBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("models", "cnn,mlp", "batches", "1,64", "warmup", "2000",
                "steps", "1000"));
        TrainingStepBench.options(args, a);
        int warmup = Integer.parseInt(a.get("warmup"));
        int steps = Integer.parseInt(a.get("steps"));
        List<String> results = new ArrayList<>();
        TorchRuntime.engine();
        if (a.containsKey("model")) {
            Path file = Path.of(a.get("model"));
            long[] shape = Arrays.stream(TrainingStepBench.required(a, "shape").split(",")).mapToLong(Long::parseLong)
                    .toArray();
            float[][] inputs = uniformInputs(shape);
            results.add(time(file.getFileName().toString(), file, shape, i -> inputs[i % inputs.length], warmup,
                    steps));
        } else {
            Path onnx = Path.of(TrainingStepBench.required(a, "onnx"));
            int[] batches = Arrays.stream(a.get("batches").split(",")).mapToInt(Integer::parseInt).toArray();
            int maxBatch = Arrays.stream(batches).max().orElse(1);
            Dataset images = FashionMnist.load(Path.of(TrainingStepBench.required(a, "data")), "train",
                    Math.max(maxBatch * 64, 4096), false);
            for (String name : a.get("models").split(",")) {
                for (int batch : batches) {
                    int per = images.sampleElements();
                    int batchesHeld = images.size() / batch;
                    long[] shape = new long[images.sampleShape().length + 1];
                    shape[0] = batch;
                    System.arraycopy(images.sampleShape(), 0, shape, 1, images.sampleShape().length);
                    IntFunction<float[]> batchAt = i -> {
                        int from = (i % batchesHeld) * batch * per;
                        return Arrays.copyOfRange(images.features(), from, from + batch * per);
                    };
                    results.add(time(name, onnx.resolve(name + ".onnx"), shape, batchAt, warmup, steps));
                }
            }
        }
        System.out.println("{\"side\": \"interpreter forward\", \"threads\": " + TrainingStepBench.numThreads()
                + ", \"results\": [" + String.join(", ", results) + "]}");
    }

    /** A few fixed inputs, uniform in [0, 1) as normalised images are, for a model given with its input shape. */
    private static float[][] uniformInputs(long[] shape) {
        int n = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
        SplittableRandom r = new SplittableRandom(20261206L);
        float[][] inputs = new float[4][n];
        for (float[] input : inputs) {
            for (int i = 0; i < n; i++) {
                input[i] = (float) r.nextDouble();
            }
        }
        return inputs;
    }

    private static String time(String name, Path file, long[] shape, IntFunction<float[]> batchAt, int warmup,
            int steps) throws Exception {
        double[] ms = new double[steps];
        double checksum = 0;
        try (InterpretedModel m = OnnxInterpreter.load(OnnxModels.read(file), Device.cpu());
             NDManager nd = TorchRuntime.newManager(Device.cpu())) {
            for (int i = 0; i < warmup + steps; i++) {
                try (NDManager pass = nd.newSubManager()) {
                    long started = System.nanoTime();
                    NDArray x = pass.create(batchAt.apply(i), new Shape(shape));
                    NDList out = m.forward(new NDList(x));
                    float first = out.head().toFloatArray()[0];
                    long took = System.nanoTime() - started;
                    if (i >= warmup) {
                        ms[i - warmup] = took / 1e6;
                        checksum += first;
                    }
                }
            }
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "{\"model\": \"%s\", \"batch\": %d, \"warmup\": %d, \"steps\": %d, "
                        + "\"p50_ms\": %.6f, \"mean_ms\": %.6f, \"p10_ms\": %.6f, \"p90_ms\": %.6f, \"checksum\": %.6f}",
                name, shape[0], warmup, steps, TrainingStepBench.percentile(sorted, 50),
                Arrays.stream(ms).average().orElse(Double.NaN), TrainingStepBench.percentile(sorted, 10),
                TrainingStepBench.percentile(sorted, 90), checksum);
    }
}
