package io.caas.engine.eval;

import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetCompatibility;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.TensorSpec;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/** Measures models in ONNX Runtime the same way for every method, so that figures compare. */
public final class Evaluator {

    static final int SYNTHETIC_TOKEN_IDS = 1000;

    /** Rounds per model in {@link #measurePair}: enough for quartiles of the round ratios. */
    public static final int PAIRED_ROUNDS = 10;

    /** Runs per batch size that {@link #profile} averages. */
    public static final int PROFILED_RUNS = 10;

    private Evaluator() {
    }

    /** Size, latency at batch 1 and batch N, and top-1 accuracy when a labelled dataset is given. */
    public static ModelMeasurements measure(ModelProto model, Optional<Dataset> data, EvaluationOptions options) {
        long parameters = ModelInspector.inspect(model).parameters();
        try (ModelRunner runner = new ModelRunner(model, options.intraOpThreads(), sampleShape(model, data, options),
                parts(data))) {
            float[] inputs = inputs(runner, data, options);
            int available = inputs.length / runner.sampleElements();
            LatencyStats one = latency(runner, inputs, 1, options);
            LatencyStats many = latency(runner, inputs, Math.min(options.batchSize(), available), options);
            int evaluated = evaluatedSamples(data, options);
            Double accuracy = evaluated == 0 ? null : accuracy(runner, data.get(), evaluated, options.batchSize());
            return new ModelMeasurements(parameters, model.getSerializedSize(), one, many, runner.batchFixedToOne(),
                    accuracy, evaluated);
        }
    }

    /**
     * Runs both models on the same inputs: the dataset's samples when given (labels not needed), else seeded
     * uniform [0, 1) samples of the original's input shape.
     */
    public static OutputAgreement compare(ModelProto original, ModelProto compressed, Optional<Dataset> data,
                                          EvaluationOptions options) {
        long[] shape = sampleShape(original, data, options);
        try (ModelRunner a = new ModelRunner(original, options.intraOpThreads(), shape, parts(data));
             ModelRunner b = new ModelRunner(compressed, options.intraOpThreads(), shape, parts(data))) {
            return agreement(a, b, data, options, ClassScores.known(original, data));
        }
    }

    /**
     * {@link #measure} and {@link #compare} for an original and its compressed version in one process, with the
     * latency taken in alternating rounds ({@link PairedLatency}) rather than one model after the other, so that a
     * change in the machine's load between the two does not pass for a difference between the models.
     */
    public static PairedMeasurements measurePair(ModelProto original, ModelProto compressed, Optional<Dataset> data,
                                                 EvaluationOptions options) {
        long[] shape = sampleShape(original, data, options);
        try (ModelRunner a = new ModelRunner(original, options.intraOpThreads(), shape, parts(data));
             ModelRunner b = new ModelRunner(compressed, options.intraOpThreads(), shape, parts(data))) {
            List<PairedLatency> latency = pairedLatencies(a, b, data, options);
            PairedLatency one = latency.get(0);
            PairedLatency many = latency.get(1);
            int evaluated = evaluatedSamples(data, options);
            Double accuracyA = evaluated == 0 ? null : accuracy(a, data.get(), evaluated, options.batchSize());
            Double accuracyB = evaluated == 0 ? null : accuracy(b, data.get(), evaluated, options.batchSize());
            return new PairedMeasurements(
                    new ModelMeasurements(ModelInspector.inspect(original).parameters(), original.getSerializedSize(),
                            one.original(), many.original(), a.batchFixedToOne(), accuracyA, evaluated),
                    new ModelMeasurements(ModelInspector.inspect(compressed).parameters(),
                            compressed.getSerializedSize(), one.compressed(), many.compressed(), b.batchFixedToOne(),
                            accuracyB, evaluated),
                    one, many, agreement(a, b, data, options, ClassScores.known(original, data)));
        }
    }

    /**
     * Top-1 accuracy alone, on the first {@code samples} samples of a labelled dataset, in batches of {@code batchSize}
     * (ONNX Runtime, 1 thread).
     */
    public static double top1(ModelProto model, Dataset data, int samples, int batchSize) {
        return meanOverLabelled(model, data, samples, batchSize, "top-1", Evaluator::hit);
    }

    /**
     * The mean log-probability the model gives the true class, on the first {@code samples} samples of a labelled
     * dataset (ONNX Runtime, 1 thread): unlike top-1, it moves with every sample's confidence, so a thousand samples
     * tell two nearby models apart where top-1 moves in steps of one sample. Outputs that already are probabilities
     * (non-negative, summing to 1) are read as such, a single output as a sigmoid head's probability of class 1,
     * anything else as logits.
     */
    public static double meanLogLikelihood(ModelProto model, Dataset data, int samples, int batchSize) {
        return meanOverLabelled(model, data, samples, batchSize, "a log-likelihood",
                ClassLikelihood::logProbability);
    }

    /** What one sample's output scores against its label. */
    @FunctionalInterface
    private interface PerSample {
        double of(float[] output, int label);
    }

    private static double meanOverLabelled(ModelProto model, Dataset data, int samples, int batchSize, String what,
                                           PerSample perSample) {
        if (!data.labelled()) {
            throw new IllegalArgumentException(what + " needs labels; dataset '" + data.name() + "' has none");
        }
        try (ModelRunner runner = new ModelRunner(model, 1, data.sampleShape(), parts(Optional.of(data)))) {
            return mean(runner, data, Math.min(samples, data.size()), batchSize, perSample);
        }
    }

    /**
     * The latency half of {@link #measurePair} alone: the two models timed in alternating rounds at batch 1 and at
     * the options' batch size (the dataset's samples, else seeded random ones), without accuracy or agreement.
     *
     * @return the paired latency at batch 1, then at batch N
     */
    public static List<PairedLatency> timePair(ModelProto original, ModelProto compressed, Optional<Dataset> data,
                                               EvaluationOptions options) {
        long[] shape = sampleShape(original, data, options);
        try (ModelRunner a = new ModelRunner(original, options.intraOpThreads(), shape, parts(data));
             ModelRunner b = new ModelRunner(compressed, options.intraOpThreads(), shape, parts(data))) {
            return pairedLatencies(a, b, data, options);
        }
    }

    /** The two models in alternating rounds at batch 1, then at the options' batch size (as far as inputs go). */
    private static List<PairedLatency> pairedLatencies(ModelRunner a, ModelRunner b, Optional<Dataset> data,
                                                       EvaluationOptions options) {
        float[] inputs = inputs(a, data, options);
        int n = Math.min(options.batchSize(), inputs.length / a.sampleElements());
        return List.of(pairedLatency(a, b, inputs, 1, options), pairedLatency(a, b, inputs, n, options));
    }

    /**
     * Per-node time in ONNX Runtime from its profiler, at batch 1 and at the evaluation batch size: after the warm-up
     * runs, {@link #PROFILED_RUNS} runs each, on a session of its own (profiling slows every node, so these runs are
     * not the latency figures). The profile file goes to a private temporary folder and is deleted.
     */
    public static ModelProfile profile(ModelProto model, Optional<Dataset> data, EvaluationOptions options) {
        Path folder = ProfileFolder.create();
        try {
            Path file;
            int n;
            int callsPerBatch;
            try (ModelRunner runner = new ModelRunner(model, options.intraOpThreads(),
                    sampleShape(model, data, options), parts(data), folder.resolve("ort"))) {
                float[] inputs = inputs(runner, data, options);
                n = Math.min(options.batchSize(), inputs.length / runner.sampleElements());
                callsPerBatch = runner.batchFixedToOne() ? n : 1;
                for (int batch : new int[] {1, n}) {
                    for (int i = 0; i < options.warmupRuns() + PROFILED_RUNS; i++) {
                        runner.run(inputs, 0, batch);
                    }
                }
                file = runner.endProfiling();
            }
            ProfileFile profile = ProfileFile.read(file);
            int warm = options.warmupRuns();
            int batch1End = warm + PROFILED_RUNS;
            int expected = batch1End + (warm + PROFILED_RUNS) * callsPerBatch;
            if (profile.calls() != expected) {
                throw new EvaluationException("ONNX Runtime's profile holds " + profile.calls() + " runs, not "
                        + expected);
            }
            return new ModelProfile(profile.profile(warm, batch1End, PROFILED_RUNS, 1),
                    profile.profile(batch1End + warm * callsPerBatch, expected, PROFILED_RUNS, n));
        } finally {
            ProfileFolder.delete(folder);
        }
    }

    private static long[] sampleShape(ModelProto model, Optional<Dataset> data, EvaluationOptions options) {
        if (data.isPresent()) {
            List<TensorSpec> inputs = ModelInspector.inspect(model).inputs();
            if (!inputs.isEmpty()) {
                List<String> problems = DatasetCompatibility.problems(data.get(), inputs);
                if (!problems.isEmpty()) {
                    throw new EvaluationException(String.join("; ", problems));
                }
            }
            return data.get().sampleShape();
        }
        return options.sampleShape();
    }

    private static List<DatasetInput> parts(Optional<Dataset> data) {
        return data.map(Dataset::inputs).orElse(List.of());
    }

    /** The dataset's samples, or seeded random ones for a batch of the evaluation size. */
    private static float[] inputs(ModelRunner runner, Optional<Dataset> data, EvaluationOptions options) {
        return data.map(Dataset::features).orElseGet(() -> random(runner.sampleElements() * options.batchSize(),
                options.seed(), runner.integerInput()));
    }

    /** Labelled samples accuracy is taken over; 0 without labels. */
    private static int evaluatedSamples(Optional<Dataset> data, EvaluationOptions options) {
        if (data.isEmpty() || !data.get().labelled()) {
            return 0;
        }
        int size = data.get().size();
        return options.maxSamples() == 0 ? size : Math.min(size, options.maxSamples());
    }

    private static LatencyStats latency(ModelRunner runner, float[] inputs, int batch, EvaluationOptions options) {
        for (int i = 0; i < options.warmupRuns(); i++) {
            runner.run(inputs, 0, batch);
        }
        double[] ms = new double[options.timedRuns()];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = timedRun(runner, inputs, batch);
        }
        return LatencyStats.of(batch, runner.batchFixedToOne() && batch > 1, ms);
    }

    /**
     * {@link EvaluationOptions#timedRuns()} runs of each model (at least), in up to {@link #PAIRED_ROUNDS} rounds
     * that alternate between them, after each model's warm-up runs.
     */
    private static PairedLatency pairedLatency(ModelRunner a, ModelRunner b, float[] inputs, int batch,
                                               EvaluationOptions options) {
        for (ModelRunner runner : List.of(a, b)) {
            for (int i = 0; i < options.warmupRuns(); i++) {
                runner.run(inputs, 0, batch);
            }
        }
        int rounds = Math.min(PAIRED_ROUNDS, options.timedRuns());
        int perRound = (options.timedRuns() + rounds - 1) / rounds;
        double[][] msA = new double[rounds][perRound];
        double[][] msB = new double[rounds][perRound];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < perRound; i++) {
                msA[r][i] = timedRun(a, inputs, batch);
            }
            for (int i = 0; i < perRound; i++) {
                msB[r][i] = timedRun(b, inputs, batch);
            }
        }
        return PairedLatency.of(batch, a.batchFixedToOne() && batch > 1, b.batchFixedToOne() && batch > 1, msA, msB);
    }

    private static double timedRun(ModelRunner runner, float[] inputs, int batch) {
        long t0 = System.nanoTime();
        runner.run(inputs, 0, batch);
        return (System.nanoTime() - t0) / 1e6;
    }

    private static OutputAgreement agreement(ModelRunner a, ModelRunner b, Optional<Dataset> data,
                                             EvaluationOptions options, boolean classScores) {
        int per = a.sampleElements();
        float[] inputs;
        int samples;
        if (data.isPresent()) {
            inputs = data.get().features();
            samples = options.maxSamples() == 0 ? data.get().size() : Math.min(data.get().size(), options.maxSamples());
        } else {
            samples = options.syntheticSamples();
            inputs = random(per * samples, options.seed(), a.integerInput());
        }
        int agree = 0;
        double cosine = 0;
        double relative = 0;
        double maxAbs = 0;
        int width = 0;
        Correlation correlation = new Correlation();
        for (int start = 0; start < samples; start += options.batchSize()) {
            int batch = Math.min(options.batchSize(), samples - start);
            float[][] ya = a.run(inputs, start, batch);
            float[][] yb = b.run(inputs, start, batch);
            for (int i = 0; i < batch; i++) {
                if (argmax(ya[i]) == argmax(yb[i])) {
                    agree++;
                }
                double dot = 0;
                double na = 0;
                double nb = 0;
                double diff = 0;
                width = ya[i].length;
                for (int k = 0; k < ya[i].length; k++) {
                    correlation.add(ya[i][k], yb[i][k]);
                    dot += (double) ya[i][k] * yb[i][k];
                    na += (double) ya[i][k] * ya[i][k];
                    nb += (double) yb[i][k] * yb[i][k];
                    double d = ya[i][k] - yb[i][k];
                    diff += d * d;
                    maxAbs = Math.max(maxAbs, Math.abs(d));
                }
                // Two all-zero outputs agree perfectly; one zero output against another is orthogonal.
                cosine += na == 0 && nb == 0 ? 1 : na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
                relative += na == 0 ? Math.sqrt(diff) : Math.sqrt(diff / na);
            }
        }
        return new OutputAgreement(samples, (double) agree / samples, cosine / samples, relative / samples, maxAbs,
                width, correlation.value(), OutputAgreement.measureFor(width, classScores));
    }

    /**
     * Pearson's correlation of paired values, accumulated one pair at a time around running means (Welford), so
     * that outputs with a large mean and a small spread, logits near 10 say, do not lose their spread to rounding.
     */
    private static final class Correlation {
        private long n;
        private double meanA;
        private double meanB;
        private double varA;
        private double varB;
        private double cov;

        void add(double a, double b) {
            n++;
            double da = a - meanA;
            double db = b - meanB;
            meanA += da / n;
            meanB += db / n;
            varA += da * (a - meanA);
            varB += db * (b - meanB);
            cov += da * (b - meanB);
        }

        /** Null where either side does not vary (or fewer than two pairs were added). */
        Double value() {
            if (n < 2 || varA <= 0 || varB <= 0) {
                return null;
            }
            return Math.max(-1, Math.min(1, cov / Math.sqrt(varA * varB)));
        }
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double accuracy(ModelRunner runner, Dataset d, int samples, int batchSize) {
        return mean(runner, d, samples, batchSize, Evaluator::hit);
    }

    private static double hit(float[] output, int label) {
        return predictedClass(output) == label ? 1 : 0;
    }

    /** The mean of {@code perSample} over the first {@code samples} labelled samples, run in batches. */
    private static double mean(ModelRunner runner, Dataset d, int samples, int batchSize, PerSample perSample) {
        double sum = 0;
        for (int start = 0; start < samples; start += batchSize) {
            int batch = Math.min(batchSize, samples - start);
            float[][] out = runner.run(d.features(), start, batch);
            for (int i = 0; i < batch; i++) {
                sum += perSample.of(out[i], d.labels()[start + i]);
            }
        }
        return sum / samples;
    }

    /** Argmax; a single output is read as a binary classifier's probability of class 1 (sigmoid heads). */
    static int predictedClass(float[] scores) {
        return scores.length == 1 ? (scores[0] > 0.5f ? 1 : 0) : argmax(scores);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Uniform [0, 1) floats, or for token inputs ids in [0, {@value #SYNTHETIC_TOKEN_IDS}): ids that exist in
     * any real vocabulary, since an id past the vocabulary makes the Gather fail.
     */
    private static float[] random(int n, long seed, boolean tokens) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = tokens ? r.nextInt(SYNTHETIC_TOKEN_IDS) : (float) r.nextDouble();
        }
        return v;
    }
}
