package dev.mica.graph.grammar;

import dev.mica.graph.grammar.Pushdown.State;

/**
 * Where a token's bytes have taken the grammar so far: the stacks, and a character still being
 * read ({@code remain} bytes short of {@code partial}'s completion). Tokens are byte strings, so a
 * character may start in one token and end in the next.
 *
 * <p>Bytes decode as llama.cpp's {@code decode_utf8} decodes them, leniently: the high nibble of a
 * lead byte gives the length, and inside a token the following bytes are taken as continuations
 * whatever they are. Only a character carried over from the previous token ({@code resuming}) has
 * its continuation bytes checked, and a stray continuation byte as a lead ends the token.
 */
record Utf8Cursor(State stacks, int partial, int remain, boolean resuming) {
    /** Sequence length by the high nibble of the lead byte; 0: not a lead byte. */
    private static final int[] LENGTH = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};

    /** The cursor after one more byte, or null when no token that goes on this way can be accepted. */
    Utf8Cursor feed(Pushdown pd, int b) {
        b &= 0xFF;
        if (remain > 0) {
            if (resuming && (b >> 6) != 2) return null;
            int value = (partial << 6) + (b & 0x3F);
            return remain == 1 ? complete(pd, value) : pending(pd, value, remain - 1, resuming);
        }
        int length = LENGTH[b >> 4];
        if (length == 0) return null;
        if (length == 1) return complete(pd, b);
        return pending(pd, b & ((1 << (8 - length)) - 1), length - 1, false);
    }

    private Utf8Cursor complete(Pushdown pd, int cp) {
        State next = pd.step(stacks, cp);
        return next.isDead() ? null : new Utf8Cursor(next, 0, 0, false);
    }

    private Utf8Cursor pending(Pushdown pd, int value, int remain, boolean resuming) {
        int low = value << (6 * remain), high = low | ((1 << (6 * remain)) - 1);
        return pd.mayMatchWithin(stacks, low, high) ? new Utf8Cursor(stacks, value, remain, resuming) : null;
    }

    /**
     * Whether a token that ends here is allowed: after whole characters, when some stack is left
     * (llama.cpp lets even a complete grammar's empty stack take it); mid-character, when the
     * character may still match.
     */
    boolean acceptsEnd(Pushdown pd) {
        return remain == 0 ? !stacks.isDead() : pd.matchPartial(stacks, partial, remain);
    }

    /** Whether longer tokens through here can still be accepted. */
    boolean mayContinue() {
        return remain > 0 || stacks.anyCharTop;
    }
}
