package dev.mica.graph.grammar;

import dev.mica.graph.grammar.Pushdown.Stack;
import dev.mica.graph.grammar.Pushdown.State;

/**
 * A GBNF grammar applied to a model's tokens, as libllama's grammar sampler applies it: which
 * tokens may come next ({@link #allows}, {@link #mask}), and moving on by one ({@link #accept}).
 * An end-of-generation token is allowed only where the grammar is complete. Not thread-safe: the
 * sampler that owns it serializes the calls.
 *
 * <p>One difference from libllama, where it is inconsistent: a token reference ({@code <[id]>})
 * matches only a whole token that starts where the reference stands. libllama's masking also lets
 * a token whose text reaches the reference midway through pass on its id, which its own accept then
 * refuses with an exception.
 */
public final class TokenGrammar {
    private final Pushdown pd;
    private final Vocabulary vocab;
    private final State initial;
    private State state;
    /** A character the accepted tokens left unfinished, {@code remain} bytes short (llama_partial_utf8). */
    private int partial, remain;

    private TokenGrammar(Pushdown pd, Vocabulary vocab) {
        this.pd = pd;
        this.vocab = vocab;
        this.initial = pd.initial();
        this.state = initial;
    }

    /** @throws GrammarException when the text is not a grammar libllama would accept, or lacks {@code root} */
    public static TokenGrammar compile(String gbnf, String root, Vocabulary vocab) throws GrammarException {
        return new TokenGrammar(new Pushdown(GbnfParser.parse(gbnf, root, vocab::tokenOf)), vocab);
    }

    /** Whether {@code token} may come next. */
    public boolean allows(int token) {
        if (token < 0 || token >= vocab.size()) return false;
        if (vocab.isEndOfGeneration(token)) return state.complete;
        for (Stack s : state.stacks) if (!s.isEmpty() && pd.matchesToken(s.top, token)) return true;
        Utf8Cursor c = read(vocab.text(token));
        return c != null && c.acceptsEnd(pd);
    }

    /**
     * Sets the logit of every token that may not come next to -infinity (also those past the
     * vocabulary: a model's output may be wider than its tokenizer).
     *
     * @return whether any token is left
     */
    public boolean mask(float[] logits) {
        boolean[] allowed = new boolean[logits.length];
        TokenTrie trie = vocab.trie;
        Utf8Cursor start = start();
        if (start.mayContinue()) walk(trie, 0, start, allowed);
        for (Stack s : state.stacks) {
            if (s.isEmpty() || !pd.g.isToken(s.top)) continue;
            int id = pd.g.value[s.top];
            if (pd.g.type[s.top] == Grammar.TOKEN) {
                if (id < allowed.length && id < vocab.size()) allowed[id] = true;
            } else {
                for (int t = 0; t < Math.min(allowed.length, vocab.size()); t++) allowed[t] |= t != id && !vocab.isEndOfGeneration(t);
            }
        }
        for (int t : vocab.endOfGenerationTokens()) if (t < allowed.length) allowed[t] = state.complete;
        boolean any = false;
        for (int t = 0; t < logits.length; t++) {
            if (allowed[t]) any = true;
            else logits[t] = Float.NEGATIVE_INFINITY;
        }
        return any;
    }

    /** The tokens through {@code node}'s children, walked with the grammar; a refused byte drops its subtree. */
    private void walk(TokenTrie trie, int node, Utf8Cursor c, boolean[] allowed) {
        for (int child = node + 1; child < trie.end[node]; child = trie.end[child]) {
            Utf8Cursor next = c.feed(pd, trie.label[child]);
            if (next == null) continue;
            if (trie.hasTokens(child) && next.acceptsEnd(pd)) trie.mark(child, allowed);
            if (trie.end[child] > child + 1 && next.mayContinue()) walk(trie, child, next, allowed);
        }
    }

    /**
     * Moves past {@code token}, which must be allowed ({@link #allows}).
     *
     * @throws IllegalStateException when it is not
     */
    public void accept(int token) {
        if (token < 0 || token >= vocab.size()) throw new IllegalStateException("token " + token + " is outside the vocabulary");
        if (vocab.isEndOfGeneration(token)) {
            if (!state.complete) throw new IllegalStateException("the grammar is not complete, so it cannot end here");
            return;
        }
        Utf8Cursor c = read(vocab.text(token));
        State next = pd.stepToken(state, token);
        if (c != null) next = pd.union(next, c.stacks());
        if (next.isDead()) throw new IllegalStateException("the grammar does not allow token " + token + " here");
        state = next;
        partial = c == null ? 0 : c.partial();
        remain = c == null ? 0 : c.remain();
    }

    /** Back to the start of the grammar. */
    public void reset() {
        state = initial;
        partial = remain = 0;
    }

    /** Whether the grammar is complete here: the text so far is a whole sentence of it. */
    public boolean complete() {
        return state.complete;
    }

    private Utf8Cursor start() {
        return new Utf8Cursor(pd.charStacks(state), partial, remain, remain > 0);
    }

    /** The cursor after {@code text}, or null when the grammar refuses it on the way. */
    private Utf8Cursor read(byte[] text) {
        if (text == null) return null;
        Utf8Cursor c = start();
        for (int i = 0; i < text.length && c != null; i++) c = c.feed(pd, text[i]);
        return c;
    }
}
