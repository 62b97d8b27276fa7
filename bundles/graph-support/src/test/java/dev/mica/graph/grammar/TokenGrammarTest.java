package dev.mica.graph.grammar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Tokens against a grammar: characters split over tokens, the end, tokens that never match text, and masking. */
class TokenGrammarTest {
    private static TokenGrammar compile(String gbnf, TestTokenizer tok) throws GrammarException {
        return TokenGrammar.compile(gbnf, "root", Vocabulary.of(tok));
    }

    @Test
    void aCharacterMaySpanTokens() throws Exception {
        TestTokenizer tok = new TestTokenizer(List.of(new byte[] {(byte) 0xA9, 'x'}), Set.of());
        int tail = 256;
        TokenGrammar g = compile("root ::= \"é\" \"x\"", tok);  // é is C3 A9
        assertFalse(g.allows(0xA9), "a continuation byte cannot start a character");
        assertTrue(g.allows(0xC3));
        g.accept(0xC3);
        assertFalse(g.allows(0xA8), "the character would be è");
        assertFalse(g.allows('x'), "a character left unfinished must be finished first");
        assertTrue(g.allows(tail), "one token may finish a character and go on");
        g.accept(tail);
        assertTrue(g.complete());
        assertTrue(g.allows(tok.eos));
    }

    @Test
    void insideATokenBytesDecodeAsLibllamaDecodesThem() throws Exception {
        // not UTF-8; libllama reads it as (3 << 6) + ('A' & 0x3F) = U+00C1
        TestTokenizer t = new TestTokenizer(List.of(new byte[] {(byte) 0xC3, 'A'}), Set.of());
        TokenGrammar g = compile("root ::= \"\\u00C1\"", t);
        assertTrue(g.allows(256));
        // across a token boundary the continuation is checked
        g.accept(0xC3);
        assertFalse(g.allows('A'));
    }

    @Test
    void partialCharactersAreJudgedAsLibllamaJudgesThem() throws Exception {
        TestTokenizer tok = new TestTokenizer(List.of(new byte[] {(byte) 0xED, (byte) 0x9F, (byte) 0xBF}), Set.of());
        TokenGrammar g = compile("root ::= [^\\uD800-\\uDFFF]", tok);
        assertTrue(g.allows(256), "U+D7FF is not a surrogate");
        // ED may still become U+D7FF, but libllama asks whether all of ED's completions avoid the class's exclusions
        assertFalse(g.allows(0xED));
        assertTrue(g.allows(0xE2), "E2 cannot start a surrogate");
        assertFalse(compile("root ::= [a-z]", tok).allows(0xE2), "nothing that starts with E2 is in a-z");
    }

    @Test
    void theEndIsAllowedOnlyWhereTheGrammarIsComplete() throws Exception {
        TestTokenizer tok = TestTokenizer.bytes();
        TokenGrammar g = compile("root ::= \"a\"+", tok);
        assertFalse(g.allows(tok.eos));
        assertThrows(IllegalStateException.class, () -> g.accept(tok.eos));
        g.accept('a');
        assertTrue(g.allows(tok.eos));
        assertTrue(g.allows('a'));
        float[] logits = new float[tok.vocabSize()];
        assertTrue(g.mask(logits));
        for (int t = 0; t < logits.length; t++) assertEquals(t == 'a' || t == tok.eos, logits[t] == 0f, "token " + t);
        g.accept(tok.eos);
        g.reset();
        assertFalse(g.allows(tok.eos), "reset goes back to the start");
    }

    @Test
    void tokensWithoutTextNeverMatchCharacters() throws Exception {
        TestTokenizer tok = new TestTokenizer(List.of("ab".getBytes(StandardCharsets.UTF_8), new byte[] {'a', 0, 'z'},
                new byte[] {'a', (byte) 0xFF}), Set.of(256));
        TokenGrammar g = compile("root ::= \"ab\" | \"a\"", tok);
        assertFalse(g.allows(256), "a control token's text is not answer text");
        assertTrue(g.allows(257), "a NUL ends a token's text, as libllama reads it");
        assertFalse(g.allows(0), "a token that starts with NUL has no text");
        assertFalse(compile("root ::= .+", tok).allows(258), "FF is never in UTF-8");
        assertFalse(compile("root ::= .+", tok).allows(0xC0));
        TokenGrammar byId = compile("root ::= <[256]> \"a\"", tok);
        assertTrue(byId.allows(256), "but a token reference names it");
        byId.accept(256);
        assertTrue(byId.allows('a'));
        assertFalse(byId.allows(256));
    }

    @Test
    void negatedTokenReferences() throws Exception {
        TestTokenizer tok = TestTokenizer.bytes();
        TokenGrammar g = compile("root ::= !<[98]> \"b\"", tok);
        float[] logits = new float[tok.vocabSize() + 2];   // a model's output may be wider than its vocabulary
        assertTrue(g.mask(logits));
        for (int t = 0; t < logits.length; t++) {
            assertEquals(t != 'b' && t < tok.eos, logits[t] == 0f, "token " + t);
        }
        g.accept('x');
        assertTrue(g.allows('b'));
        assertFalse(g.allows('x'));
    }

    @Test
    void refusedTokensAreNotAccepted() throws Exception {
        TestTokenizer tok = TestTokenizer.bytes();
        TokenGrammar g = compile("root ::= \"ab\"", tok);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.accept('b'));
        assertTrue(e.getMessage().contains("does not allow token 98"), e.getMessage());
        assertTrue(g.allows('a'), "a refused token leaves the grammar where it was");
    }

    /**
     * The trie walk that masks the vocabulary and the one-token check agree, on a vocabulary of
     * multi-byte tokens (whole and split characters), at every step of a JSON answer.
     */
    @Test
    void maskingAgreesWithCheckingEachToken() throws Exception {
        Random r = new Random(7);
        String alphabet = "{}[]\":, \n\tabcxyz019-.eE\\/éü€😀";
        int[] cps = alphabet.codePoints().toArray();
        List<byte[]> extra = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            StringBuilder s = new StringBuilder();
            int n = 1 + r.nextInt(5);
            for (int k = 0; k < n; k++) s.appendCodePoint(cps[r.nextInt(cps.length)]);
            byte[] b = s.toString().getBytes(StandardCharsets.UTF_8);
            // some tokens start or end mid-character
            int from = r.nextInt(4) == 0 ? r.nextInt(b.length) : 0;
            int to = r.nextInt(4) == 0 ? from + 1 + r.nextInt(b.length - from) : b.length;
            extra.add(java.util.Arrays.copyOfRange(b, from, to));
        }
        TestTokenizer tok = new TestTokenizer(extra, Set.of());
        String gbnf = """
                root ::= "{" space (pair ("," space pair)*)? "}"
                pair ::= string ":" space value
                value ::= string | number | "[" space (value ("," space value)*)? "]" space | root space
                string ::= "\\"" char* "\\"" space
                char ::= [^"\\\\\\x7F\\x00-\\x1F] | [\\\\] (["\\\\bfnrt] | "u" [0-9a-fA-F]{4})
                number ::= "-"? [0-9]+ ("." [0-9]+)? ([eE] [-+]? [0-9]+)? space
                space ::= | " " | "\\n" [ \\t]{0,20}
                """;
        TokenGrammar g = compile(gbnf, tok);
        String answer = "{\"a€\": [1, -2.5e3, \"x\\\"😀\"], \"ü\":{\"z\": []}}";
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        int checked = 0;
        for (int i = 0; i <= bytes.length; i++) {
            float[] logits = new float[tok.vocabSize()];
            g.mask(logits);
            boolean[] viaMask = new boolean[logits.length], viaCheck = new boolean[logits.length];
            for (int t = 0; t < logits.length; t++) {
                viaMask[t] = logits[t] == 0f;
                viaCheck[t] = g.allows(t);
                if (viaCheck[t]) checked++;
            }
            assertArrayEquals(viaCheck, viaMask, "after " + i + " bytes");
            if (i < bytes.length) g.accept(bytes[i] & 0xFF);
        }
        assertTrue(g.allows(tok.eos));
        assertTrue(checked > 1000, "the states reached allow many tokens: " + checked);
    }
}
