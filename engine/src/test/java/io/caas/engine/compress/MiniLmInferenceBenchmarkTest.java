package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OrtSession;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: inference on all-MiniLM-L6-v2 in the engine's interpreter against ONNX Runtime, batch 8 × 64 tokens,
 * the same inputs on both sides, one intra-op thread each (libtorch through {@code ai.djl.pytorch.num_threads}, set
 * before the engine starts), timed as interleaved pairs: each round runs the interpreter then ONNX Runtime
 * {@value #RUNS} times, and the figure is the median of the rounds' ratios.
 *
 * <p>Run alone (the thread settings must come before anything else starts libtorch):
 * {@code mvn -B -o -q -pl engine test -Pslow -Dtest=MiniLmInferenceBenchmarkTest}; with
 * {@code -Dminilm.profile=FILE} it also writes libtorch's profile of 5 passes (a Chrome trace).
 */
@Tag("slow")
class MiniLmInferenceBenchmarkTest {

    private static final int BATCH = 8;
    private static final int ROUNDS = 15;
    private static final int RUNS = 5;

    static {
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }

    @Test
    void interpreterAgainstOnnxRuntimeAtBatch8x64() throws Exception {
        MiniLmBenchmarkTest.Setup setup = MiniLmBenchmarkTest.Setup.load(MiniLmBenchmarkTest.HELD_OUT);
        WordPieceTokenizer tok = setup.tok();
        List<WordPieceTokenizer.Encoding> batch = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            batch.add(tok.encode(setup.heldOut().get(i), MiniLmBenchmarkTest.LATENCY_SEQ));
        }
        int seq = MiniLmBenchmarkTest.LATENCY_SEQ;
        try (InterpretedModel model = OnnxInterpreter.load(setup.model(), Device.cpu());
             NDManager nd = NDManager.newBaseManager(Device.cpu(), OnnxInterpreter.ENGINE);
             OrtSession ort = MiniLmBenchmarkTest.session(setup.model(), 1)) {
            Map<String, NDArray> inputs = new HashMap<>();
            inputs.put("input_ids", ids(nd, batch, seq, WordPieceTokenizer.Encoding::inputIds));
            inputs.put("attention_mask", ids(nd, batch, seq, WordPieceTokenizer.Encoding::attentionMask));
            inputs.put("token_type_ids", ids(nd, batch, seq, WordPieceTokenizer.Encoding::tokenTypeIds));

            float[][][] expected = MiniLmBenchmarkTest.run(ort, batch);
            float[] got = interpret(model, inputs);
            double maxDiff = 0;
            int k = 0;
            for (float[][] sample : expected) {
                for (float[] token : sample) {
                    for (float v : token) {
                        maxDiff = Math.max(maxDiff, Math.abs(v - got[k++]));
                    }
                }
            }
            assertThat(maxDiff).as("the same outputs on both sides").isLessThan(1e-3);

            for (int w = 0; w < 3; w++) {
                interpret(model, inputs);
                MiniLmBenchmarkTest.run(ort, batch);
            }
            double[] ratios = new double[ROUNDS];
            double[] interpreterMs = new double[ROUNDS];
            double[] ortMs = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < RUNS; i++) {
                    interpret(model, inputs);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < RUNS; i++) {
                    MiniLmBenchmarkTest.run(ort, batch);
                }
                long t2 = System.nanoTime();
                interpreterMs[r] = (t1 - t0) / 1e6 / RUNS;
                ortMs[r] = (t2 - t1) / 1e6 / RUNS;
                ratios[r] = interpreterMs[r] / ortMs[r];
            }
            String profile = System.getProperty("minilm.profile");
            if (profile != null) {
                // libtorch's profiler over 5 passes (it slows every op: not the benchmark's timing);
                // bench/profile_summary.py TRACE 5 lists the operators by time per pass
                ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
                for (int i = 0; i < 5; i++) {
                    interpret(model, inputs);
                }
                ai.djl.pytorch.jni.JniUtils.stopProfile(profile);
            }
            System.out.printf(Locale.ROOT, "MiniLM inference %dx%d, 1 thread each, %d rounds of %d runs: interpreter "
                            + "%.1f ms, ONNX Runtime %.1f ms (medians); median ratio %.2fx (min %.2f, max %.2f); "
                            + "max |difference| %.1e; operators run per pass: %d%n", BATCH, seq, ROUNDS, RUNS,
                    median(interpreterMs), median(ortMs), median(ratios), Arrays.stream(ratios).min().orElseThrow(),
                    Arrays.stream(ratios).max().orElseThrow(), maxDiff, model.block().operatorsRunPerPass());
        }
    }

    private static float[] interpret(InterpretedModel model, Map<String, NDArray> inputs) {
        NDList out = model.forward(inputs);
        try {
            return out.get(0).toFloatArray();
        } finally {
            out.close();
        }
    }

    private static NDArray ids(NDManager nd, List<WordPieceTokenizer.Encoding> batch, int seq,
                               java.util.function.Function<WordPieceTokenizer.Encoding, long[]> field) {
        long[] all = new long[batch.size() * seq];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(field.apply(batch.get(i)), 0, all, i * seq, seq);
        }
        return nd.create(all, new Shape(batch.size(), seq));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
