package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.Tokenizer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Tokenizing stays near-linear where a naive merge loop is quadratic: one word of hundreds of
 * thousands of characters, every symbol a merge candidate. The bounds are generous (a quadratic
 * loop would take minutes) so a busy machine does not fail them.
 */
class PerformanceTest {
    private static final int LENGTH = 300_000;
    private static final long BOUND_NANOS = 10_000_000_000L;

    /** Tokens of "a" repeated 1, 2, 4 ... 64 times; longer ones score higher. */
    private static SyntheticVocab powersOfA(String model) {
        SyntheticVocab v = new SyntheticVocab(model);
        if (model.equals("llama")) {
            v.add("<unk>", SyntheticVocab.UNKNOWN, 0);
            v.add("<s>", SyntheticVocab.CONTROL, 0);
            v.add("</s>", SyntheticVocab.CONTROL, 0);
            v.add("▁", SyntheticVocab.NORMAL, 0);
        }
        for (int k = 1; k <= 64; k *= 2) {
            v.add("a".repeat(k), SyntheticVocab.NORMAL, k);
            if (k > 1) {
                v.merge("a".repeat(k / 2) + " " + "a".repeat(k / 2));
            }
        }
        if (model.equals("gpt2")) {
            v.metadata(w -> w.putString("tokenizer.ggml.pre", "qwen2"));
        }
        return v;
    }

    private static long timeEncode(Tokenizer t, String text, int expectedTokens) {
        t.encode(text.substring(0, 5000), false, false); // warm up
        long start = System.nanoTime();
        int[] ids = t.encode(text, false, false);
        long elapsed = System.nanoTime() - start;
        assertEquals(expectedTokens, ids.length);
        return elapsed;
    }

    @Test
    void longSentencePieceWord() {
        String text = "a".repeat(LENGTH);
        // "▁" then runs of 64
        long nanos = timeEncode(powersOfA("llama").tokenizer(), text, 1 + LENGTH / 64 + Integer.bitCount(LENGTH % 64));
        System.out.printf("SentencePiece, one word of %d characters: %.0f ms%n", LENGTH, nanos / 1e6);
        assertTrue(nanos < BOUND_NANOS, nanos / 1e6 + " ms");
    }

    @Test
    void longBpeWord() {
        String text = "a".repeat(LENGTH);
        long nanos = timeEncode(powersOfA("gpt2").tokenizer(), text, LENGTH / 64 + Integer.bitCount(LENGTH % 64));
        System.out.printf("BPE, one word of %d characters: %.0f ms%n", LENGTH, nanos / 1e6);
        assertTrue(nanos < BOUND_NANOS, nanos / 1e6 + " ms");
    }

    @Test
    void manySpecialTokensInALongPrompt() {
        // Llama 3's 256 special tokens over a long chat: each special token scans each fragment once.
        Tokenizer t = GgufTokenizers.fromGguf(TestFiles.gguf(TestFiles.vocab("llama-bpe")));
        StringBuilder chat = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            chat.append("<|start_header_id|>user<|end_header_id|>\n\nWhat's the weather like in Paris, day ").append(i)
                    .append("? Ünïcödé and emoji 🦙 too.<|eot_id|>");
        }
        String text = chat.toString();
        t.encode(text.substring(0, 10_000), true, true);
        long start = System.nanoTime();
        int[] ids = t.encode(text, true, true);
        long nanos = System.nanoTime() - start;
        System.out.printf("llama-bpe: %d bytes, %d tokens in %.0f ms (%.1f MB/s)%n", text.getBytes(StandardCharsets.UTF_8).length,
                ids.length, nanos / 1e6, text.getBytes(StandardCharsets.UTF_8).length / (nanos / 1e9) / 1e6);
        assertEquals(2000, java.util.Arrays.stream(ids).filter(id -> id == 128009).count(), "every <|eot_id|> found");
        assertTrue(nanos < BOUND_NANOS, nanos / 1e6 + " ms");
    }
}
