package dev.mica.tokenizer;

import static dev.mica.tokenizer.TokenizerJson.map;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.Tokenizer;
import dev.mica.tokenizer.HfPipeline.Behavior;
import dev.mica.tokenizer.HfPipeline.Piece;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer.json features on small handwritten files, each expectation worked out by hand. */
class HfTokenizerTest {
    @TempDir
    Path dir;

    private Tokenizer load(Map<String, Object> json, Map<String, Object> config) throws IOException {
        Path file = TokenizerJson.write(dir, "tokenizer.json", json);
        return HfTokenizers.fromJson(file, config == null ? null : TokenizerJson.write(dir, "tokenizer_config.json", config));
    }

    private static Map<String, Object> vocab(String... tokens) {
        Map<String, Object> v = new LinkedHashMap<>();
        for (String t : tokens) {
            v.put(t, v.size());
        }
        return v;
    }

    private static Map<String, Object> added(int id, String content, boolean special, Object... flags) {
        Map<String, Object> m = map("id", id, "content", content, "single_word", false, "lstrip", false, "rstrip", false,
                "normalized", false, "special", special);
        for (int i = 0; i < flags.length; i += 2) {
            m.put((String) flags[i], flags[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> bpe(Map<String, Object> vocab, List<String> merges, Object... options) {
        Map<String, Object> model = map("type", "BPE", "vocab", vocab, "merges", merges);
        for (int i = 0; i < options.length; i += 2) {
            model.put((String) options[i], options[i + 1]);
        }
        return model;
    }

    /** Llama 2's shape: SentencePiece as BPE with byte fallback, spaces made "▁" by the normalizer. */
    private Tokenizer llama2() throws IOException {
        Map<String, Object> vocab = vocab("<unk>", "<s>", "</s>", "<0xC3>", "<0xA9>", "▁", "h", "e", "l", "o",
                "▁h", "ll", "▁he", "▁hell", "▁hello", "w", "▁w");
        return load(map(
                "added_tokens", List.of(added(0, "<unk>", true), added(1, "<s>", true), added(2, "</s>", true)),
                "normalizer", map("type", "Sequence", "normalizers", List.of(
                        map("type", "Prepend", "prepend", "▁"),
                        map("type", "Replace", "pattern", map("String", " "), "content", "▁"))),
                "pre_tokenizer", null,
                "post_processor", map("type", "TemplateProcessing",
                        "single", List.of(map("SpecialToken", map("id", "<s>", "type_id", 0)), map("Sequence", map("id", "A", "type_id", 0))),
                        "special_tokens", map("<s>", map("id", "<s>", "ids", List.of(1), "tokens", List.of("<s>")))),
                "decoder", map("type", "Sequence", "decoders", List.of(
                        map("type", "Replace", "pattern", map("String", "▁"), "content", " "),
                        map("type", "ByteFallback"), map("type", "Fuse"),
                        map("type", "Strip", "content", " ", "start", 1, "stop", 0))),
                "model", bpe(vocab, List.of("▁ h", "▁h e", "l l", "▁he ll", "▁hell o", "▁ w"),
                        "unk_token", "<unk>", "fuse_unk", true, "byte_fallback", true)),
                map("eos_token", "</s>", "clean_up_tokenization_spaces", false));
    }

    @Test
    void sentencePieceStyleBpe() throws IOException {
        Tokenizer t = llama2();
        assertArrayEquals(new int[] {1, 14}, t.encode("hello", true, true), "the template adds <s>");
        assertArrayEquals(new int[] {14, 14}, t.encode("hello hello", false, false));
        // é is not a token: its bytes are; z is neither: the unknown token
        assertArrayEquals(new int[] {10, 3, 4, 0}, t.encode("héz", false, false));
        assertArrayEquals(new int[] {10, 0}, t.encode("hzz", false, false), "fuse_unk: one <unk> for a run");
        assertEquals(" hello", new String(t.piece(14), StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {(byte) 0xC3}, t.piece(3));
        assertEquals("helloé hello", t.decode(new int[] {14, 3, 4, 14}), "Strip drops the leading space of the text");
        assertEquals("<s> hello", t.decode(new int[] {1, 14}));
        assertEquals("\uFFFD hello", t.decode(new int[] {3, 14}), "a lone byte of a character is replaced");
        assertTrue(t.isEndOfGeneration(2), "the config's eos_token");
        assertTrue(t.isControl(1));
        assertFalse(t.isControl(14));
        assertEquals(17, t.vocabSize());
    }

    @Test
    void metaspacePrependsOnlyAtTheStartOfTheInput() throws IOException {
        Map<String, Object> vocab = vocab("<s>", "▁", "h", "e", "l", "o", "ll", "▁h", "▁he", "▁hell", "▁hello");
        Tokenizer t = load(map(
                "added_tokens", List.of(added(0, "<s>", true)),
                "pre_tokenizer", map("type", "Metaspace", "replacement", "▁", "prepend_scheme", "first", "split", false),
                "decoder", map("type", "Metaspace", "replacement", "▁", "prepend_scheme", "first", "split", false),
                "model", bpe(vocab, List.of("l l", "▁ h", "▁h e", "▁he ll", "▁hell o"))), null);
        assertArrayEquals(new int[] {10}, t.encode("hello", false, true));
        assertArrayEquals(new int[] {0, 2, 3, 6, 5}, t.encode("<s>hello", false, true), "no ▁ after the special token");
        assertEquals("hello hello", t.decode(new int[] {10, 10}), "the first token loses its ▁");
    }

    @Test
    void addedTokens() throws IOException {
        List<String> chars = new ArrayList<>(List.of(" ", "<", ">", "!", "A", "B", "S"));
        for (char c = 'a'; c <= 'z'; c++) {
            chars.add(String.valueOf(c));
        }
        Map<String, Object> vocab = vocab(chars.toArray(String[]::new));
        int n = vocab.size();
        Tokenizer t = load(map(
                "added_tokens", List.of(
                        added(n, "<A>", false, "lstrip", true),
                        added(n + 1, "<B>", false, "rstrip", true),
                        added(n + 2, "cat", false, "single_word", true),
                        added(n + 3, "<S>", true),
                        added(n + 4, "ab", false),
                        added(n + 5, "abc", false)),
                "model", bpe(vocab, List.of())), null);
        int x = (int) vocab.get("x");
        int y = (int) vocab.get("y");
        assertArrayEquals(new int[] {x, n}, t.encode("x  <A>", false, false), "lstrip takes the spaces before");
        assertArrayEquals(new int[] {n + 1, y}, t.encode("<B>  y", false, false), "rstrip takes the spaces after");
        assertArrayEquals(new int[] {(int) vocab.get("a"), (int) vocab.get(" "), n + 2, (int) vocab.get("!")},
                t.encode("a cat!", false, false), "a whole word");
        assertEquals(5, t.encode("scats", false, false).length, "not inside a word");
        assertArrayEquals(new int[] {x, n + 5, x}, t.encode("xabcx", false, false), "the longest at the leftmost place");
        assertArrayEquals(new int[] {n + 3}, t.encode("<S>", false, true));
        assertEquals(3, t.encode("<S>", false, false).length, "special tokens are text unless parsed");
        assertTrue(t.isControl(n + 3));
        assertFalse(t.isControl(n + 2), "added but not special");
        assertEquals("<S>", new String(t.piece(n + 3), StandardCharsets.UTF_8));
    }

    @Test
    void splitBehaviorsAsTheTokenizersLibraryDocumentsThem() {
        Piece text = new Piece("the-final--countdown", true);
        List<int[]> dashes = new ArrayList<>();
        for (int i = 0; i < text.text().length(); i++) {
            if (text.text().charAt(i) == '-') {
                dashes.add(new int[] {i, i + 1});
            }
        }
        assertEquals(List.of("the", "final", "countdown"), texts(HfPipeline.splitOn(text, dashes, Behavior.REMOVED)));
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"), texts(HfPipeline.splitOn(text, dashes, Behavior.ISOLATED)));
        assertEquals(List.of("the-", "final-", "-", "countdown"), texts(HfPipeline.splitOn(text, dashes, Behavior.MERGED_WITH_PREVIOUS)));
        assertEquals(List.of("the", "-final", "-", "-countdown"), texts(HfPipeline.splitOn(text, dashes, Behavior.MERGED_WITH_NEXT)));
        assertEquals(List.of("the", "-", "final", "--", "countdown"), texts(HfPipeline.splitOn(text, dashes, Behavior.CONTIGUOUS)));
        List<Piece> pieces = HfPipeline.splitOn(text, dashes, Behavior.ISOLATED);
        assertTrue(pieces.getFirst().atStart());
        assertFalse(pieces.get(1).atStart());
    }

    private static List<String> texts(List<Piece> pieces) {
        return pieces.stream().map(Piece::text).toList();
    }

    @Test
    void regexSplitDigitsAndByteLevelWithPrefixSpace() throws IOException {
        Map<String, Object> vocab = vocab("Ġ", "h", "i", "1", "2", "Ġh", "Ġhi", "x");
        Tokenizer t = load(map(
                "pre_tokenizer", map("type", "Sequence", "pretokenizers", List.of(
                        map("type", "Digits", "individual_digits", true),
                        map("type", "Split", "pattern", map("Regex", "x+"), "behavior", "Removed", "invert", false),
                        map("type", "ByteLevel", "add_prefix_space", true, "use_regex", false))),
                "decoder", map("type", "ByteLevel"),
                "model", bpe(vocab, List.of("Ġ h", "Ġh i"))), null);
        // "hi12" -> digits cut apart: "hi", "1", "2"; each piece gets a leading space from ByteLevel
        assertArrayEquals(new int[] {6, 0, 3, 0, 4}, t.encode("hi12", false, false));
        assertArrayEquals(new int[] {6, 6}, t.encode("hixxxhi", false, false), "the x runs are removed");
        assertEquals(" hi", t.decode(new int[] {6}));
    }

    @Test
    void postProcessorsAndConfig() throws IOException {
        Map<String, Object> vocab = vocab("<s>", "</s>", "a", "<|im_end|>");
        Map<String, Object> base = map("added_tokens", List.of(added(0, "<s>", true), added(1, "</s>", true), added(3, "<|im_end|>", true)),
                "model", bpe(vocab, List.of()));
        base.put("post_processor", map("type", "RobertaProcessing", "sep", List.of("</s>", 1), "cls", List.of("<s>", 0)));
        assertArrayEquals(new int[] {0, 2, 1}, load(base, null).encode("a", true, false));
        assertArrayEquals(new int[] {2}, load(base, null).encode("a", false, false));

        base.put("post_processor", null);
        Tokenizer configured = load(base, map("bos_token", map("content", "<s>"), "eos_token", "</s>", "add_bos_token", true,
                "add_eos_token", false));
        assertArrayEquals(new int[] {0, 2}, configured.encode("a", true, false), "no template: the config adds BOS");
        assertTrue(configured.isEndOfGeneration(1));
        assertTrue(configured.isEndOfGeneration(3), "<|im_end|> ends generation, as in llama.cpp");
        assertFalse(configured.isEndOfGeneration(0));
    }

    @Test
    void cleanUpTokenizationSpaces() {
        assertEquals("Hello, world! It's ok. Don't?", HfTokenizer.cleanUp("Hello , world ! It 's ok . Do n't ?"));
    }

    @Test
    void unsupportedPartsAreRefusedByName() {
        Map<String, Object> vocab = vocab("a", "b", "ab");
        UnsupportedOperationException model = assertThrows(UnsupportedOperationException.class,
                () -> load(map("model", map("type", "WordPiece", "vocab", vocab)), null));
        assertTrue(model.getMessage().contains("WordPiece"));
        UnsupportedOperationException normalizer = assertThrows(UnsupportedOperationException.class,
                () -> load(map("normalizer", map("type", "BertNormalizer"), "model", bpe(vocab, List.of("a b"))), null));
        assertTrue(normalizer.getMessage().contains("BertNormalizer"));
        UnsupportedOperationException pre = assertThrows(UnsupportedOperationException.class,
                () -> load(map("pre_tokenizer", map("type", "Whitespace"), "model", bpe(vocab, List.of("a b"))), null));
        assertTrue(pre.getMessage().contains("Whitespace"));
        assertThrows(IllegalArgumentException.class, () -> load(map("model", bpe(vocab, List.of("a c"))), null),
                "a merge of a token the vocabulary lacks");
        assertThrows(IllegalArgumentException.class, () -> load(map("model", bpe(vocab, List.of("a b c"))), null));
    }
}
