package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.caas.engine.compress.tied.TiedMethod;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.text.WordPieceTokenizer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Weight tying on all-MiniLM-L6-v2: its six feed-forward blocks (MatMul 384→1536, bias, GELU in Erf form, MatMul
 * 1536→384) are found and tied, the file shrinks by half their weights, ONNX Runtime runs the export like the
 * interpreter, and a few distillation steps on real sentences bring the embeddings closer to the original's than
 * the untrained tied model.
 */
class TiedMiniLmTest {

    private static final long FFN_WEIGHTS = 6L * 2 * 384 * 1536;
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    private static ModelProto original;
    private static WordPieceTokenizer tok;
    private static List<String> train;
    private static List<String> heldOut;

    @BeforeAll
    static void load() throws Exception {
        MiniLmBenchmarkTest.Setup setup = MiniLmBenchmarkTest.Setup.load(48);
        original = setup.model();
        tok = setup.tok();
        train = setup.train();
        heldOut = setup.heldOut();
    }

    @Test
    void findsTheSixFeedForwardPairsAndHalvesTheirWeights() throws Exception {
        List<String> pairs = TiedMethod.pairsFound(original);
        System.out.println("pairs found: " + pairs);
        assertThat(pairs).hasSize(6);

        CompressionResult r = CompressionMethods.get("tied").compress(new CompressionTask(original,
                Map.of("fineTune", false), Optional.empty(), Optional.empty()), ProgressListener.NONE);
        assertThat(r.layers()).hasSize(6).allSatisfy(l -> {
            assertThat(l.matrixShape()).containsExactly(384, 1536);
            assertThat(l.parametersBefore()).isEqualTo(2L * 384 * 1536);
            assertThat(l.parametersAfter()).isEqualTo(384L * 1536);
            assertThat(l.note()).contains("Erf").contains("MatMul→Add");
        });
        r.layers().forEach(l -> System.out.println("  " + l.node() + ": " + l.note()));

        ModelProto tied = r.compressed();
        long before = ModelInspector.inspect(original).parameters();
        long after = ModelInspector.inspect(tied).parameters();
        assertThat(before - after).isEqualTo(FFN_WEIGHTS / 2);
        long savedBytes = original.getSerializedSize() - (long) tied.getSerializedSize();
        System.out.printf(Locale.ROOT, "parameters %,d -> %,d; bytes %,d -> %,d (%.1f %% smaller)%n", before, after,
                original.getSerializedSize(), tied.getSerializedSize(), 100.0 * savedBytes / original.getSerializedSize());
        // half the FFN weights as float32, less a few hundred bytes of Transpose nodes
        assertThat(savedBytes).isBetween(FFN_WEIGHTS / 2 * 4 - 4096, FFN_WEIGHTS / 2 * 4);
        assertThat(tied.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Transpose")).count()
                - original.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Transpose")).count())
                .isEqualTo(6);

        assertOnnxRuntimeMatchesInterpreter(tied);
    }

    @Test
    void distillationBringsTheTiedModelCloserToTheOriginal() throws Exception {
        long steps = Long.getLong("tied.minilm.steps", 12);
        int batch = Integer.getInteger("tied.minilm.batch", 8);
        float[][] reference = MiniLmBenchmarkTest.embeddings(original, tok, heldOut);
        CompressionResult untrained = CompressionMethods.get("tied").compress(new CompressionTask(original,
                Map.of("fineTune", false), Optional.empty(), Optional.empty()), ProgressListener.NONE);
        Dataset data = MiniLmBenchmarkTest.tokenDataset(tok, train);
        long t0 = System.nanoTime();
        CompressionResult trained = CompressionMethods.get("tied").compress(new CompressionTask(original,
                Map.of("trainOnlyTied", true), Optional.of(data), Optional.empty(),
                new TrainingBudget(null, steps, batch, 1e-3)), ProgressListener.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cosUntrained = meanCosine(untrained.compressed(), reference);
        double cosTrained = meanCosine(trained.compressed(), reference);
        List<double[]> loss = trained.curves().get("loss");
        System.out.printf(Locale.ROOT, "tied MiniLM: mean cosine to the original %.4f untrained, %.4f after %d "
                        + "distillation steps (batch %d, %.0f s); loss %.5f -> %.5f%n", cosUntrained, cosTrained,
                loss.size(), batch, seconds, loss.get(0)[1], loss.get(loss.size() - 1)[1]);
        assertThat(loss).hasSize((int) steps);
        assertThat(cosTrained).isGreaterThan(cosUntrained + 0.02);
    }

    private static double meanCosine(ModelProto m, float[][] reference) throws Exception {
        float[][] emb = MiniLmBenchmarkTest.embeddings(m, tok, heldOut);
        double sum = 0;
        for (int i = 0; i < emb.length; i++) {
            sum += MiniLmBenchmarkTest.cosine(emb[i], reference[i]);
        }
        return sum / emb.length;
    }

    /** last_hidden_state of 4 real sentences (sequence 32): ONNX Runtime on the export against the interpreter. */
    private static void assertOnnxRuntimeMatchesInterpreter(ModelProto tied) throws Exception {
        int b = 4;
        int seq = 32;
        long[] ids = new long[b * seq];
        long[] mask = new long[b * seq];
        for (int i = 0; i < b; i++) {
            WordPieceTokenizer.Encoding e = tok.encode(heldOut.get(i), seq);
            System.arraycopy(e.inputIds(), 0, ids, i * seq, seq);
            System.arraycopy(e.attentionMask(), 0, mask, i * seq, seq);
        }
        long[] types = new long[b * seq];
        float[] ort;
        try (OrtSession s = ENV.createSession(tied.toByteArray(), new OrtSession.SessionOptions())) {
            Map<String, OnnxTensor> in = new HashMap<>();
            long[] shape = {b, seq};
            in.put("input_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(ids), shape));
            in.put("attention_mask", OnnxTensor.createTensor(ENV, LongBuffer.wrap(mask), shape));
            in.put("token_type_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(types), shape));
            try (OrtSession.Result r = s.run(in)) {
                float[][][] h = (float[][][]) r.get(0).getValue();
                ort = new float[b * seq * h[0][0].length];
                int k = 0;
                for (float[][] sample : h) {
                    for (float[] token : sample) {
                        for (float v : token) {
                            ort[k++] = v;
                        }
                    }
                }
            } finally {
                in.values().forEach(OnnxTensor::close);
            }
        }
        float[] interp;
        try (InterpretedModel m = OnnxInterpreter.load(tied, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            Shape shape = new Shape(b, seq);
            Map<String, NDArray> in = Map.of("input_ids", nd.create(ids, shape), "attention_mask",
                    nd.create(mask, shape), "token_type_ids", nd.create(types, shape));
            interp = m.forward(in).head().toFloatArray();
        }
        assertThat(interp).hasSameSizeAs(ort);
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < ort.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ort[i] - interp[i]));
            maxAbs = Math.max(maxAbs, Math.abs(ort[i]));
        }
        System.out.printf(Locale.ROOT, "ONNX Runtime vs interpreter on the tied MiniLM: max |diff| %.2e, relative "
                + "to max |value| %.2e%n", maxDiff, maxDiff / maxAbs);
        assertThat(maxDiff / maxAbs).isLessThanOrEqualTo(1e-4);
    }
}
