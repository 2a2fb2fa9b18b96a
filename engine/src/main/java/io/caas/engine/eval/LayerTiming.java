package io.caas.engine.eval;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Times two forms of one layer against each other in ONNX Runtime, each a model of its own with one float input:
 * in alternating rounds in one process (A then B, then B then A, ...), so that load on a shared machine falls on
 * both alike, and judged by the median of the per-round time ratios.
 */
public final class LayerTiming {

    private LayerTiming() {
    }

    /**
     * @param batchSize   the input's first dimension
     * @param denseP50Ms  median time of one run of the first form
     * @param otherP50Ms  median time of one run of the second form
     * @param medianRatio median over rounds of (second form's time / first form's time) in that round
     */
    public record Comparison(int batchSize, double denseP50Ms, double otherP50Ms, double medianRatio) {

        public boolean faster() {
            return medianRatio < 1;
        }
    }

    /**
     * @param inputShape the input's shape, batch first
     * @param rounds     alternating rounds; each runs each form {@code runsPerRound} times
     */
    public static Comparison compare(ModelProto dense, ModelProto other, long[] inputShape, int intraOpThreads,
                                     int rounds, int runsPerRound) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int n = Math.toIntExact(Arrays.stream(inputShape).reduce(1, Math::multiplyExact));
        float[] x = new float[n];
        SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextDouble();
        }
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            try (OrtSession a = env.createSession(dense.toByteArray(), options);
                 OrtSession b = env.createSession(other.toByteArray(), options);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), inputShape)) {
                Map<String, OnnxTensor> feedA = Map.of(a.getInputNames().iterator().next(), input);
                Map<String, OnnxTensor> feedB = Map.of(b.getInputNames().iterator().next(), input);
                for (int i = 0; i < 2; i++) {
                    runOnce(a, feedA);
                    runOnce(b, feedB);
                }
                double[] timesA = new double[rounds * runsPerRound];
                double[] timesB = new double[rounds * runsPerRound];
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    double ta;
                    double tb;
                    if (r % 2 == 0) {
                        ta = runs(a, feedA, runsPerRound, timesA, r * runsPerRound);
                        tb = runs(b, feedB, runsPerRound, timesB, r * runsPerRound);
                    } else {
                        tb = runs(b, feedB, runsPerRound, timesB, r * runsPerRound);
                        ta = runs(a, feedA, runsPerRound, timesA, r * runsPerRound);
                    }
                    ratios[r] = tb / ta;
                }
                return new Comparison(Math.toIntExact(inputShape[0]), median(timesA), median(timesB), median(ratios));
            }
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime cannot time the layer: " + e.getMessage(), e);
        }
    }

    /** Runs {@code count} times, records each in ms, returns their sum. */
    private static double runs(OrtSession s, Map<String, OnnxTensor> feed, int count, double[] into, int at)
            throws OrtException {
        double sum = 0;
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            runOnce(s, feed);
            double ms = (System.nanoTime() - t0) / 1e6;
            into[at + i] = ms;
            sum += ms;
        }
        return sum;
    }

    private static void runOnce(OrtSession s, Map<String, OnnxTensor> feed) throws OrtException {
        try (OrtSession.Result ignored = s.run(feed)) {
            // only the time counts
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
}
