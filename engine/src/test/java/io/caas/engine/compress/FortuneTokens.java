package io.caas.engine.compress;

import io.caas.engine.data.Dataset;
import io.caas.engine.text.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The token data of the training-step benchmark's {@code minilm} model (scripts/bench-training-step.sh, BENCHMARKS.md
 * "Training step"), written once so that the interpreter and the PyTorch peer (bench/torch_peer.py) train on the
 * identical ids. Not a test: a main class in the test sources, run on the test classpath.
 *
 * <p>Sentences: every entry of Debian's fortunes file {@code cookie} that {@link MiniLmBenchmarkTest#fortunes} keeps
 * (the MiniLM tests' sentences), in file order. Tokens: all-MiniLM-L6-v2's WordPiece vocabulary through the test
 * {@link WordPieceTokenizer}, {@code [CLS] … [SEP]}, truncated and padded (id 0) to the sequence length. Label: 1 when
 * the sentence's word pieces, untruncated and without [CLS]/[SEP], are more than the median count over all kept
 * sentences, else 0 (the same label at every sequence length).
 *
 * <p>File {@code fortunes-s<S>.bin} per sequence length S, little-endian: the 8 bytes {@code CAASTOK1}, int32
 * sentences n, int32 S, then int64 input_ids [n, S], int64 attention_mask [n, S], int64 labels [n].
 *
 * <p>Arguments: {@code --fortunes FILE --out DIR [--seqs 64,128]}.
 */
public final class FortuneTokens {

    static final byte[] MAGIC = "CAASTOK1".getBytes(StandardCharsets.US_ASCII);

    private FortuneTokens() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>(Map.of("seqs", "64,128"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].substring(2), args[i + 1]);
        }
        if (!a.containsKey("fortunes") || !a.containsKey("out")) {
            throw new IllegalArgumentException("usage: FortuneTokens --fortunes FILE --out DIR [--seqs 64,128]");
        }
        List<String> sentences = MiniLmBenchmarkTest.fortunes(Path.of(a.get("fortunes")));
        WordPieceTokenizer tok;
        try (InputStream in = MiniLmBenchmarkTest.resource("all-minilm-l6-v2-tokenizer.json")) {
            tok = WordPieceTokenizer.fromHuggingFaceJson(in);
        }
        long[] labels = labels(tok, sentences);
        Path out = Files.createDirectories(Path.of(a.get("out")));
        for (String s : a.get("seqs").split(",")) {
            int seq = Integer.parseInt(s.strip());
            Path file = out.resolve("fortunes-s" + seq + ".bin");
            write(file, tok, sentences, labels, seq);
            System.err.printf("FortuneTokens: %s, %d sentences of %d tokens, %d labelled 1%n", file, sentences.size(),
                    seq, Arrays.stream(labels).sum());
        }
    }

    /** 1 where a sentence has more word pieces than the median count, else 0. */
    static long[] labels(WordPieceTokenizer tok, List<String> sentences) {
        int[] counts = sentences.stream().mapToInt(s -> tok.tokenize(s).size()).toArray();
        int[] sorted = counts.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        return Arrays.stream(counts).mapToLong(c -> c > median ? 1 : 0).toArray();
    }

    static void write(Path file, WordPieceTokenizer tok, List<String> sentences, long[] labels, int seq)
            throws IOException {
        int n = sentences.size();
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 8 + 8 * (2 * n * seq + n)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(n).putInt(seq);
        List<WordPieceTokenizer.Encoding> enc = sentences.stream().map(s -> tok.encode(s, seq)).toList();
        enc.forEach(e -> Arrays.stream(e.inputIds()).forEach(b::putLong));
        enc.forEach(e -> Arrays.stream(e.attentionMask()).forEach(b::putLong));
        Arrays.stream(labels).forEach(b::putLong);
        try (OutputStream o = Files.newOutputStream(file)) {
            o.write(b.array());
        }
    }

    /**
     * A written file as the engine's fine-tuning takes token data: the ids as floats, the labels as classes 0/1. The
     * attention mask is not kept (FineTuner derives it as id ≠ 0); this checks that it is exactly that.
     */
    public static Dataset read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException(file + " is not a token file");
        }
        int n = b.getInt();
        int seq = b.getInt();
        if (all.length != MAGIC.length + 8 + 8L * (2L * n * seq + n)) {
            throw new IOException(file + " has " + all.length + " bytes, not those of " + n + " x " + seq + " tokens");
        }
        float[] ids = new float[n * seq];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = b.getLong();
        }
        for (int i = 0; i < ids.length; i++) {
            long mask = b.getLong();
            if (mask != (ids[i] != 0 ? 1 : 0)) {
                throw new IOException(file + ": the attention mask is not id != 0 at " + i);
            }
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (int) b.getLong();
        }
        return new Dataset("fortunes-cookie-s" + seq, new long[] {seq}, ids, labels, 2);
    }
}
