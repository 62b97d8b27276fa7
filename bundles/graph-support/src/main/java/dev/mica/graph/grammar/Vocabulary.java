package dev.mica.graph.grammar;

import dev.mica.api.backend.Tokenizer;
import java.util.function.Supplier;

/**
 * A model's tokens as a grammar sees them: each token's text (its bytes), the end-of-generation
 * tokens, and a trie over the texts. Built once per model (it takes a moment on a large
 * vocabulary) and shared by its samplers; immutable.
 *
 * <p>Left without text, so no grammar character ever matches them: end-of-generation tokens
 * (allowed only where the grammar is complete), control tokens (the engine shows them as nothing,
 * so matching their text would put text in the grammar that is not in the answer), tokens that
 * are empty or start with a NUL byte (as libllama refuses them), and tokens holding bytes that no
 * UTF-8 text holds (C0, C1, F5 to FF), which mica's GGML backend refuses too. A NUL inside a
 * token ends its text there, as in libllama, which reads pieces as C strings.
 */
public final class Vocabulary {
    private final Tokenizer tokenizer;
    private final byte[][] texts;
    private final boolean[] endOfGeneration;
    private final int[] endOfGenerationIds;
    final TokenTrie trie;

    private Vocabulary(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        int n = tokenizer.vocabSize();
        texts = new byte[n][];
        endOfGeneration = new boolean[n];
        int eogs = 0;
        for (int t = 0; t < n; t++) {
            if (tokenizer.isEndOfGeneration(t)) {
                endOfGeneration[t] = true;
                eogs++;
            } else if (!tokenizer.isControl(t)) {
                texts[t] = text(tokenizer.piece(t));
            }
        }
        endOfGenerationIds = new int[eogs];
        for (int t = 0, i = 0; t < n; t++) if (endOfGeneration[t]) endOfGenerationIds[i++] = t;
        trie = new TokenTrie(texts);
    }

    public static Vocabulary of(Tokenizer tokenizer) {
        return new Vocabulary(tokenizer);
    }

    /**
     * A model's vocabulary, built at the first grammar request and kept (half a second for a
     * 150k-token vocabulary: models that never see a grammar never pay it).
     */
    public static Supplier<Vocabulary> lazily(Tokenizer tokenizer) {
        return new Supplier<>() {
            private Vocabulary built;

            @Override
            public synchronized Vocabulary get() {
                if (built == null) built = of(tokenizer);
                return built;
            }
        };
    }

    private static byte[] text(byte[] piece) {
        int length = 0;
        while (length < piece.length && piece[length] != 0) length++;
        if (length == 0) return null;
        for (int i = 0; i < length; i++) {
            int b = piece[i] & 0xFF;
            if (b == 0xC0 || b == 0xC1 || b >= 0xF5) return null;
        }
        return length == piece.length ? piece : java.util.Arrays.copyOf(piece, length);
    }

    int size() {
        return texts.length;
    }

    /** The bytes a grammar matches for {@code token}, or null when it matches none. */
    byte[] text(int token) {
        return texts[token];
    }

    boolean isEndOfGeneration(int token) {
        return endOfGeneration[token];
    }

    int[] endOfGenerationTokens() {
        return endOfGenerationIds;
    }

    /** The token a {@code <text>} reference in a grammar names: its text must encode to exactly one token. */
    int tokenOf(String text) {
        int[] ids = tokenizer.encode(text, false, true);
        return ids.length == 1 ? ids[0] : -1;
    }
}
