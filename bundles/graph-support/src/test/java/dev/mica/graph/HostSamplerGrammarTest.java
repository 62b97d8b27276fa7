package dev.mica.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.SamplingParams;
import dev.mica.api.backend.Tokenizer;
import dev.mica.graph.grammar.Vocabulary;
import org.junit.jupiter.api.Test;

/** The host sampler under a grammar: the token it picks, the tokens fed to it, reset. */
class HostSamplerGrammarTest {
    /** 256 byte tokens, then the end token; {@code q} is a control token, so no token writes it. */
    private static final int EOS = 256;
    private static final Tokenizer BYTES = new Tokenizer() {
        @Override
        public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
            return new int[0];
        }

        @Override
        public byte[] piece(int token) {
            return token == EOS ? "</s>".getBytes() : new byte[] {(byte) token};
        }

        @Override
        public boolean isEndOfGeneration(int token) {
            return token == EOS;
        }

        @Override
        public boolean isControl(int token) {
            return token == EOS || token == 'q';
        }

        @Override
        public int vocabSize() {
            return EOS + 1;
        }
    };
    private static final Vocabulary VOCAB = Vocabulary.of(BYTES);

    /** Logits that rank the tokens of {@code favourites} first, in order, then every other token. */
    private static float[] ranking(String favourites) {
        float[] l = new float[EOS + 1];
        for (int t = 0; t < l.length; t++) l[t] = -t * 0.001f;
        for (int i = 0; i < favourites.length(); i++) l[favourites.charAt(i)] = 10f - i;
        return l;
    }

    private static HostSampler sampler(String gbnf, float[] logits, SamplingParams params) throws BackendException {
        return HostSampler.of(new Object(), row -> logits.clone(), 64, params, new Constraint.Grammar(gbnf, "root"), () -> VOCAB);
    }

    @Test
    void greedyTakesTheBestTokenTheGrammarAllows() throws Exception {
        float[] logits = ranking("zyba");
        try (HostSampler s = sampler("root ::= [ab] [ab]", logits, SamplingParams.GREEDY)) {
            assertEquals('b', s.sample(0));
            assertEquals('b', s.sample(0));
            assertEquals(EOS, s.sample(0), "the grammar is complete: only the end is left");
        }
    }

    @Test
    void promptTokensLeaveTheGrammarAndForcedTokensMoveIt() throws Exception {
        float[] logits = ranking("bca");
        try (HostSampler s = sampler("root ::= \"a\" \"b\" \"c\"", logits, SamplingParams.GREEDY)) {
            s.accept('x');
            s.accept('b');
            assertEquals('a', s.sample(0), "the prompt does not count as answer");
            s.force('b');
            assertEquals('c', s.sample(0), "a forced token is part of the answer");
            s.reset();
            assertEquals('a', s.sample(0), "reset starts the grammar over");
            s.force('z');
            assertEquals('b', s.sample(0), "a forced token the grammar refuses does not move it");
        }
    }

    @Test
    void drawnTokensAlwaysSatisfyTheGrammar() throws Exception {
        float[] logits = ranking("xyz\"{");
        SamplingParams hot = new SamplingParams(1.5f, 0, 1f, 0f, 1f, 64, 1.1f, 0f, 0f, 11);
        try (HostSampler s = sampler("root ::= [a-c]{40} \"!\"", logits, hot)) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < 41; i++) out.append((char) s.sample(0));
            assertTrue(out.toString().matches("[a-c]{40}!"), out.toString());
            assertTrue(out.chars().distinct().count() > 2, "the draw still varies among the allowed tokens: " + out);
            assertEquals(EOS, s.sample(0));
        }
    }

    @Test
    void aGrammarNoTokenCanContinueIsAnError() throws Exception {
        try (HostSampler s = sampler("root ::= \"a\" \"q\"", ranking("a"), SamplingParams.GREEDY)) {
            assertEquals('a', s.sample(0));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.sample(0));
            assertTrue(e.getMessage().contains("allows no token"), e.getMessage());
        }
    }

    @Test
    void badGrammarsAreBackendErrors() {
        BackendException e = assertThrows(BackendException.class, () -> sampler("root ::= [a-", ranking(""), SamplingParams.GREEDY));
        assertTrue(e.getMessage().startsWith("invalid GBNF grammar: "), e.getMessage());
        BackendException root = assertThrows(BackendException.class, () -> HostSampler.of(new Object(), row -> new float[1], 8,
                SamplingParams.GREEDY, new Constraint.Grammar("start ::= \"a\"", "root"), () -> VOCAB));
        assertTrue(root.getMessage().contains("no rule 'root'"), root.getMessage());
    }
}
