package dev.mica.graph.grammar;

import java.nio.charset.StandardCharsets;

/** Feeds text to a grammar one byte token at a time, as a model with byte tokens would write it. */
final class Sentences {
    private static final TestTokenizer BYTES = TestTokenizer.bytes();
    private static final Vocabulary VOCAB = Vocabulary.of(BYTES);

    private Sentences() {}

    static TokenGrammar grammar(String gbnf) throws GrammarException {
        return TokenGrammar.compile(gbnf, "root", VOCAB);
    }

    /** Whether {@code text} is a whole sentence of {@code gbnf}: every byte allowed, then the end. */
    static boolean matches(String gbnf, String text) throws GrammarException {
        TokenGrammar g = grammar(gbnf);
        return prefix(g, text) && g.allows(BYTES.eos);
    }

    /** Whether {@code text} may begin a sentence; feeds it into {@code g}. */
    static boolean prefix(TokenGrammar g, String text) {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (!g.allows(b & 0xFF)) return false;
            g.accept(b & 0xFF);
        }
        return true;
    }
}
