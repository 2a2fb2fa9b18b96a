package io.caas.engine.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT's tokenizer: basic tokenization (text cleaning, optional CJK spacing, lowercasing, accent stripping,
 * whitespace and punctuation splitting), then greedy longest-match-first WordPiece with a continuation prefix
 * ({@code ##}), then {@code [CLS] … [SEP]}, truncation and padding to a fixed length. Single sentences only
 * (token type 0 throughout).
 *
 * <p>Settings and vocabulary come from a HuggingFace {@code tokenizer.json} with a {@code WordPiece} model and a
 * {@code BertNormalizer}; {@code strip_accents: null} means "as lowercase", as in HuggingFace's BertNormalizer.
 *
 * <p>A test fixture: the service takes token ids, never text, so only the MiniLM tests and benchmarks tokenize
 * (sentences from Debian's fortunes). Kept rather than DJL's {@code ai.djl.huggingface:tokenizers}, whose native
 * library would be one more platform binary in the test run for a job this class does exactly as HuggingFace does
 * ({@link WordPieceTokenizerTest} checks it against the ids HuggingFace gives).
 */
public final class WordPieceTokenizer {

    /** One encoded sentence, each array {@code maxLength} long. */
    public record Encoding(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, List<String> tokens) {

        /** Tokens that are not padding (including [CLS] and [SEP]). */
        public int length() {
            return tokens.size();
        }
    }

    private final Map<String, Integer> vocab;
    private final boolean lowercase;
    private final boolean stripAccents;
    private final boolean handleChineseChars;
    private final boolean cleanText;
    private final String prefix;
    private final int maxCharsPerWord;
    private final String unk;
    private final int unkId;
    private final int clsId;
    private final int sepId;
    private final int padId;

    public WordPieceTokenizer(Map<String, Integer> vocab, boolean lowercase, boolean stripAccents,
                              boolean handleChineseChars, boolean cleanText, String continuingPrefix,
                              int maxCharsPerWord, String unkToken) {
        this.vocab = Map.copyOf(vocab);
        this.lowercase = lowercase;
        this.stripAccents = stripAccents;
        this.handleChineseChars = handleChineseChars;
        this.cleanText = cleanText;
        this.prefix = continuingPrefix;
        this.maxCharsPerWord = maxCharsPerWord;
        this.unk = unkToken;
        this.unkId = required(unkToken);
        this.clsId = required("[CLS]");
        this.sepId = required("[SEP]");
        this.padId = required("[PAD]");
    }

    private int required(String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("the vocabulary has no " + token + " token");
        }
        return id;
    }

    /** Reads a HuggingFace tokenizer.json (WordPiece model, BertNormalizer or none). */
    public static WordPieceTokenizer fromHuggingFaceJson(InputStream json) throws IOException {
        JsonObject root;
        try (Reader r = new InputStreamReader(json, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(r).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException("not a tokenizer.json: " + e.getMessage(), e);
        }
        JsonObject model = root.getAsJsonObject("model");
        if (model == null || !"WordPiece".equals(string(model, "type", null))) {
            throw new IOException("tokenizer.json has no WordPiece model");
        }
        Map<String, Integer> vocab = new HashMap<>();
        for (Map.Entry<String, JsonElement> e : model.getAsJsonObject("vocab").entrySet()) {
            vocab.put(e.getKey(), e.getValue().getAsInt());
        }
        boolean lowercase = false;
        Boolean strip = null;
        boolean chinese = false;
        boolean clean = false;
        JsonElement norm = root.get("normalizer");
        if (norm != null && norm.isJsonObject()) {
            JsonObject n = norm.getAsJsonObject();
            if (!"BertNormalizer".equals(string(n, "type", null))) {
                throw new IOException("unsupported normalizer " + string(n, "type", null) + "; expected BertNormalizer");
            }
            lowercase = bool(n, "lowercase", true);
            JsonElement s = n.get("strip_accents");
            strip = s == null || s.isJsonNull() ? null : s.getAsBoolean();
            chinese = bool(n, "handle_chinese_chars", true);
            clean = bool(n, "clean_text", true);
        }
        return new WordPieceTokenizer(vocab, lowercase, strip != null ? strip : lowercase, chinese, clean,
                string(model, "continuing_subword_prefix", "##"),
                model.has("max_input_chars_per_word") ? model.get("max_input_chars_per_word").getAsInt() : 100,
                string(model, "unk_token", "[UNK]"));
    }

    private static String string(JsonObject o, String key, String fallback) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? fallback : e.getAsString();
    }

    private static boolean bool(JsonObject o, String key, boolean fallback) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? fallback : e.getAsBoolean();
    }

    public int vocabularySize() {
        return vocab.size();
    }

    /** The id of a token, or -1 when it is not in the vocabulary. */
    public int id(String token) {
        return vocab.getOrDefault(token, -1);
    }

    public int padId() {
        return padId;
    }

    /** Basic tokenization: the words and punctuation marks WordPiece then splits. */
    public List<String> basicTokens(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cleanText && (cp == 0 || cp == 0xFFFD || isControl(cp))) {
                return;
            }
            if (cleanText && isWhitespace(cp)) {
                sb.append(' ');
            } else if (handleChineseChars && isCjk(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        String s = sb.toString();
        if (lowercase) {
            s = s.toLowerCase(Locale.ROOT);
        }
        if (stripAccents) {
            s = stripAccents(s);
        }
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (isWhitespace(cp)) {
                flush(word, out);
            } else if (isPunctuation(cp)) {
                flush(word, out);
                out.add(new String(Character.toChars(cp)));
            } else {
                word.appendCodePoint(cp);
            }
        });
        flush(word, out);
        return out;
    }

    private static void flush(StringBuilder word, List<String> out) {
        if (!word.isEmpty()) {
            out.add(word.toString());
            word.setLength(0);
        }
    }

    /** Word pieces of a whole text, without [CLS]/[SEP]. */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (String word : basicTokens(text)) {
            wordPieces(word, out);
        }
        return out;
    }

    /** Greedy longest-match-first; a word with any unmatched rest becomes a single unknown token. */
    void wordPieces(String word, List<String> out) {
        int[] cps = word.codePoints().toArray();
        if (cps.length > maxCharsPerWord) {
            out.add(unk);
            return;
        }
        List<String> pieces = new ArrayList<>();
        int start = 0;
        while (start < cps.length) {
            int end = cps.length;
            String match = null;
            while (start < end) {
                String sub = new String(cps, start, end - start);
                if (start > 0) {
                    sub = prefix + sub;
                }
                if (vocab.containsKey(sub)) {
                    match = sub;
                    break;
                }
                end--;
            }
            if (match == null) {
                out.add(unk);
                return;
            }
            pieces.add(match);
            start = end;
        }
        out.addAll(pieces);
    }

    /** [CLS] pieces [SEP], truncated to {@code maxLength} (pieces cut from the end) and padded to it. */
    public Encoding encode(String text, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length must leave room for [CLS] and [SEP], got " + maxLength);
        }
        List<String> pieces = tokenize(text);
        if (pieces.size() > maxLength - 2) {
            pieces = pieces.subList(0, maxLength - 2);
        }
        List<String> tokens = new ArrayList<>(pieces.size() + 2);
        tokens.add("[CLS]");
        tokens.addAll(pieces);
        tokens.add("[SEP]");
        long[] ids = new long[maxLength];
        long[] mask = new long[maxLength];
        Arrays.fill(ids, padId);
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            ids[i] = i == 0 ? clsId : i == tokens.size() - 1 ? sepId : vocab.getOrDefault(t, unkId);
            mask[i] = 1;
        }
        return new Encoding(ids, mask, new long[maxLength], List.copyOf(tokens));
    }

    private static String stripAccents(String s) {
        String d = Normalizer.normalize(s, Normalizer.Form.NFD);
        StringBuilder sb = new StringBuilder(d.length());
        d.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(sb::appendCodePoint);
        return sb.toString();
    }

    static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT;
    }

    /** BERT counts all non-alphanumeric ASCII as punctuation (e.g. $, ^, `), plus Unicode's P* categories. */
    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** The CJK Unified Ideograph blocks BERT spaces out (not Hangul, Hiragana or Katakana). */
    static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
