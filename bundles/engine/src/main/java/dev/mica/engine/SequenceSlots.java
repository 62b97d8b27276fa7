package dev.mica.engine;

import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.cache.ContextCache;
import java.util.Arrays;

/**
 * The engine's own placement, used when no prefix cache bundle is installed: each sequence keeps
 * what it held when its request ended, and the next prompt that starts the same way (the next turn
 * of a conversation) is given that sequence and computes only what is new. Nothing is copied
 * between sequences and nothing is kept outside them. Used by the scheduler thread only.
 */
final class SequenceSlots implements ContextCache {
    private static final int[] NONE = new int[0];
    private final SequenceMemory memory;
    private final int[][] held;
    private final boolean[] busy;
    private final long[] lastUsed;
    private long clock;

    SequenceSlots(int sequences, SequenceMemory memory) {
        this.memory = memory;
        held = new int[sequences][];
        Arrays.fill(held, NONE);
        busy = new boolean[sequences];
        lastUsed = new long[sequences];
    }

    @Override
    public boolean anyFree() {
        for (boolean b : busy) {
            if (!b) return true;
        }
        return false;
    }

    /**
     * Takes a free sequence for {@code prompt} and drops what it holds past their common prefix. At
     * least one prompt token is left to decode, since its logits start the answer. Where the memory
     * cannot drop a partial tail (recurrent and hybrid models), the sequence starts empty.
     *
     * <p>Which one: a sequence whose common prefix is at least half of the prompt or of what it
     * holds (the same conversation going on, or a long shared system prompt), the longest prefix
     * first; else an empty one, so that another conversation's history is not cut for a short
     * shared opening; else the longest prefix, the least recently used on a tie. Call only when
     * {@link #anyFree()}.
     */
    @Override
    public Placement place(Request request) {
        int[] prompt = request.prompt();
        int continuing = -1;
        int empty = -1;
        int longest = -1;
        int[] common = new int[held.length];
        for (int s = 0; s < held.length; s++) {
            if (busy[s]) continue;
            common[s] = commonPrefix(held[s], prompt);
            if (held[s].length == 0) {
                if (empty < 0) empty = s;
            } else if (common[s] > 0 && common[s] * 2 >= Math.min(prompt.length, held[s].length)
                    && (continuing < 0 || common[s] > common[continuing])) {
                continuing = s;
            }
            if (longest < 0 || common[s] > common[longest] || common[s] == common[longest] && lastUsed[s] < lastUsed[longest]) {
                longest = s;
            }
        }
        int best = continuing >= 0 ? continuing : empty >= 0 ? empty : longest;
        if (best < 0) throw new IllegalStateException("no free sequence");
        int reused = common[best];
        if (reused < held[best].length && !memory.removeRange(best, reused, -1)) {
            memory.removeRange(best, 0, -1);
            reused = 0;
        }
        held[best] = Arrays.copyOf(prompt, reused);
        busy[best] = true;
        lastUsed[best] = ++clock;
        return new Placement(best, reused, NONE, null);
    }

    /** No snapshots here: a sequence keeps only what it holds. */
    @Override
    public void checkpoint(Placement placement, int[] tokens, int length) {}

    @Override
    public void finished(Placement placement, int[] tokens, int length, long timeToFirstTokenNanos) {
        int sequence = placement.sequence();
        held[sequence] = Arrays.copyOf(tokens, length);
        busy[sequence] = false;
        lastUsed[sequence] = ++clock;
    }

    @Override
    public void discard(Placement placement) {
        int sequence = placement.sequence();
        memory.removeRange(sequence, 0, -1);
        held[sequence] = NONE;
        busy[sequence] = false;
    }

    @Override
    public void close() {}

    private static int commonPrefix(int[] cached, int[] prompt) {
        int max = Math.min(cached.length, prompt.length - 1);
        int n = 0;
        while (n < max && cached[n] == prompt[n]) n++;
        return n;
    }
}
