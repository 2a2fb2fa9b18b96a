package io.caas.engine.bench;

import ai.djl.Device;
import io.caas.engine.compress.CompressedFineTuning;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.TrainingBudget;
import io.caas.engine.compress.oialr.OialrMethod;
import io.caas.engine.compress.svd.TruncatedSvdMethod;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.DeviceChoice;
import io.caas.engine.runtime.TorchRuntime;
import io.caas.engine.testing.FashionMnistModels;
import io.caas.engine.testing.NormalizationModels;
import io.caas.engine.train.EmbeddingUpdates;
import io.caas.engine.train.FashionMnist;
import io.caas.engine.train.TrainableGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.stream.Collectors;

/**
 * The methods' own fine-tuning on one device, as a worker with {@code caas.jobs.training-device} runs it: the
 * {@link CompressionTask} carries the device, and each method loads its student (and its teacher, where it distils)
 * there. bench/gpu/run-on-device.sh runs it on CUDA and on the CPU and compare.py sets the loss curves side by side;
 * {@link GpuTrainingCheck} covers the plain FineTuner path and step times. Not a test: a main class in the test
 * sources.
 *
 * <p>Four jobs, chosen for the paths a device can break that the plain CNN run does not take:
 * <ol>
 *   <li>svd rank 8 with fine-tuning by labels (cross-entropy through CompressedFineTuning);</li>
 *   <li>svd rank 8 with fine-tuning by distillation (the original as teacher on the device, KL divergence);</li>
 *   <li>oialr without labels (the teacher's outputs kept across chunks, a fresh model per chunk);</li>
 *   <li>fine-tuning a token model's embedding tables by rows ({@code embeddingUpdates: sparse}: gathered rows and
 *   lazy Adam on the device), distilling the original.</li>
 * </ol>
 * Arguments: {@code --onnx FILE (the Fashion-MNIST CNN) --data DIR --device cpu|gpu [--steps 200] [--out FILE]}.
 * Prints one JSON object: per job the seconds, the log lines that name the device, and every step's loss.
 */
public final class GpuJobCheck {

    private GpuJobCheck() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("device", "cpu", "steps", "200"));
        TrainingStepBench.options(args, a);
        ModelProto untrained = OnnxModels.read(Path.of(TrainingStepBench.required(a, "onnx")));
        Path data = Path.of(TrainingStepBench.required(a, "data"));
        Device device = switch (a.get("device")) {
            case "cpu" -> DeviceChoice.CPU.resolve(TorchRuntime::gpuCount);
            case "gpu", "cuda" -> DeviceChoice.GPU.resolve(TorchRuntime::gpuCount);
            default -> throw new IllegalArgumentException("--device cpu|gpu, got " + a.get("device"));
        };
        long steps = Long.parseLong(a.get("steps"));
        Dataset train = FashionMnist.load(data, "train", 5_000, true);
        Dataset unlabelled = new Dataset(train.name() + " without labels", train.sampleShape(), train.features(),
                null, 0);
        TrainingBudget budget = new TrainingBudget(null, steps, 64, 1e-3);
        // trained first, on the CPU whatever the device, so that both devices' runs start from one model whose
        // truncation loses something and whose outputs are worth distilling
        ModelProto cnn = FashionMnistModels.train(untrained, train, 2e-3f, 64, 300);

        StringJoiner jobs = new StringJoiner(", ", "[", "]");
        jobs.add(run("svd rank 8, fine-tuned by labels", device, log -> new TruncatedSvdMethod().compress(
                task(cnn, Map.of("rank", 8, "fineTune", true, "fineTuneBy", "labels", "onlyIfFaster", false), train,
                        budget, device), log)));
        jobs.add(run("svd rank 8, fine-tuned by distillation", device, log -> new TruncatedSvdMethod().compress(
                task(cnn, Map.of("rank", 8, "fineTune", true, "fineTuneBy", "distillation", "onlyIfFaster", false),
                        train, budget, device), log)));
        jobs.add(run("oialr without labels", device, log -> new OialrMethod().compress(task(cnn, Map.of("frequency",
                50, "sigmaCutoff", 0.3, "onlyIfFaster", false), unlabelled, budget, device), log)));
        jobs.add(run("sparse embedding updates, distilled", device, log -> sparseEmbeddings(steps, device, log)));

        String json = "{\"device\": " + GpuTrainingCheck.quoted(device.toString()) + ", \"jobs\": " + jobs + "}";
        if (a.containsKey("out")) {
            Files.writeString(Path.of(a.get("out")), json + "\n");
        }
        System.out.println(json);
    }

    private interface Job {
        CompressionResult run(ProgressListener log) throws InterruptedException;
    }

    private static String run(String name, Device device, Job job) throws InterruptedException {
        List<String> said = new ArrayList<>();
        long start = System.nanoTime();
        CompressionResult result = job.run((fraction, message) -> {
            if (message.contains(" on the ") || message.contains("sparse embedding updates")) {
                said.add(message);
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        List<double[]> loss = result.curves().getOrDefault("loss", List.of());
        System.err.printf("gpu-job-check: %s on %s: %d steps in %.1f s, loss %s -> %s%n", name, device, loss.size(),
                seconds, loss.isEmpty() ? "-" : loss.get(0)[1], loss.isEmpty() ? "-" : loss.get(loss.size() - 1)[1]);
        StringJoiner out = new StringJoiner(", ", "{", "}");
        out.add("\"name\": " + GpuTrainingCheck.quoted(name));
        out.add("\"seconds\": " + GpuTrainingCheck.num(seconds));
        out.add("\"said\": [" + said.stream().map(GpuTrainingCheck::quoted).collect(Collectors.joining(", ")) + "]");
        out.add("\"loss\": [" + loss.stream().map(p -> GpuTrainingCheck.num(p[1])).collect(Collectors.joining(", "))
                + "]");
        return out.toString();
    }

    private static CompressionTask task(ModelProto model, Map<String, Object> parameters, Dataset train,
                                        TrainingBudget budget, Device device) {
        return new CompressionTask(model, parameters, Optional.of(train), Optional.empty(), budget, device);
    }

    /** A token model whose tables the batches read a few rows of, trained by rows against the original's outputs. */
    private static CompressionResult sparseEmbeddings(long steps, Device device, ProgressListener log)
            throws InterruptedException {
        int vocab = 1000;
        int seq = 16;
        ModelProto original = NormalizationModels.tokenModelWithNorm(1, vocab, seq, 32, 8);
        TrainingBudget budget = new TrainingBudget(null, steps, 32, 1e-3, EnumSet.allOf(TrainableGroup.class),
                EmbeddingUpdates.SPARSE);
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        ModelProto tuned = CompressedFineTuning.withDefaults(32, 1e-3, 1).run(original, perturbed(original),
                task(original, Map.of(), NormalizationModels.tokenIds(2_000, vocab, seq, 5), budget, device), log,
                curves);
        return new CompressionResult(tuned, List.of(), curves);
    }

    /** The model with every weight moved by 10 % noise: a student with something to learn from its original. */
    private static ModelProto perturbed(ModelProto model) {
        SplittableRandom r = new SplittableRandom(7);
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = g.getInitializer(i);
            if (Tensors.isFloating(t)) {
                float[] v = Tensors.toFloats(t);
                for (int k = 0; k < v.length; k++) {
                    v[k] *= (float) (1 + 0.1 * r.nextGaussian());
                }
                g.setInitializer(i, Tensors.floatTensor(t.getName(), v, t.getDimsList().stream()
                        .mapToLong(Long::longValue).toArray()));
            }
        }
        return model.toBuilder().setGraph(g).build();
    }
}
