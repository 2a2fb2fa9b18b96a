package io.caas.engine.eval;

import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetCompatibility;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.TensorSpec;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/** Measures models in ONNX Runtime the same way for every method, so that figures compare. */
public final class Evaluator {

    static final int SYNTHETIC_TOKEN_IDS = 1000;

    private Evaluator() {
    }

    /** Size, latency at batch 1 and batch N, and top-1 accuracy when a labelled dataset is given. */
    public static ModelMeasurements measure(ModelProto model, Optional<Dataset> data, EvaluationOptions options) {
        long parameters = ModelInspector.inspect(model).parameters();
        try (ModelRunner runner = new ModelRunner(model, options.intraOpThreads(), sampleShape(model, data, options),
                parts(data))) {
            int n = options.batchSize();
            float[] inputs = data.map(d -> d.features())
                    .orElseGet(() -> random(runner.sampleElements() * n, options.seed(), runner.integerInput()));
            int available = inputs.length / runner.sampleElements();
            LatencyStats one = latency(runner, inputs, 1, options);
            LatencyStats many = latency(runner, inputs, Math.min(n, available), options);
            Double accuracy = null;
            int evaluated = 0;
            if (data.isPresent() && data.get().labelled()) {
                Dataset d = data.get();
                evaluated = options.maxSamples() == 0 ? d.size() : Math.min(d.size(), options.maxSamples());
                accuracy = accuracy(runner, d, evaluated, n);
            }
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
                    for (int k = 0; k < ya[i].length; k++) {
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
            return new OutputAgreement(samples, (double) agree / samples, cosine / samples, relative / samples, maxAbs);
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

    private static LatencyStats latency(ModelRunner runner, float[] inputs, int batch, EvaluationOptions options) {
        for (int i = 0; i < options.warmupRuns(); i++) {
            runner.run(inputs, 0, batch);
        }
        double[] ms = new double[options.timedRuns()];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            runner.run(inputs, 0, batch);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return new LatencyStats(batch, runner.batchFixedToOne() && batch > 1, ms.length, percentile(ms, 0.50),
                percentile(ms, 0.95), Arrays.stream(ms).average().orElse(0));
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double accuracy(ModelRunner runner, Dataset d, int samples, int batchSize) {
        int correct = 0;
        for (int start = 0; start < samples; start += batchSize) {
            int batch = Math.min(batchSize, samples - start);
            float[][] out = runner.run(d.features(), start, batch);
            for (int i = 0; i < batch; i++) {
                if (predictedClass(out[i]) == d.labels()[start + i]) {
                    correct++;
                }
            }
        }
        return (double) correct / samples;
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
