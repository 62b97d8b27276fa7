package dev.mica.engine;

import dev.mica.api.backend.SequenceMemory;
import java.util.Arrays;

/**
 * The sequences of one inference context: which are decoding, and which tokens each holds in the
 * KV memory. The one place that knows what the memory holds; a prefix cache (issue 5) replaces
 * {@link #assign} and {@link #release} with its own placement through the same
 * {@link SequenceMemory} operations.
 *
 * <p>A finished sequence keeps its tokens: the next prompt that starts the same way (the next turn
 * of a conversation) is given that sequence and computes only what is new. Used by the scheduler
 * thread only.
 */
final class SequenceSlots {
    private final int[][] held;
    private final boolean[] busy;
    private final long[] lastUsed;
    private long clock;

    SequenceSlots(int sequences) {
        held = new int[sequences][];
        Arrays.fill(held, new int[0]);
        busy = new boolean[sequences];
        lastUsed = new long[sequences];
    }

    /** A sequence given to a prompt, and how many of the prompt's first tokens it already holds. */
    record Assignment(int sequence, int reused) {}

    boolean anyFree() {
        for (boolean b : busy) {
            if (!b) return true;
        }
        return false;
    }

    int busyCount() {
        int n = 0;
        for (boolean b : busy) {
            if (b) n++;
        }
        return n;
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
    Assignment assign(int[] prompt, SequenceMemory memory) {
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
        return new Assignment(best, reused);
    }

    /** A sequence is done; it keeps its first {@code length} tokens for a later prompt. */
    void release(int sequence, int[] tokens, int length) {
        held[sequence] = Arrays.copyOf(tokens, length);
        busy[sequence] = false;
        lastUsed[sequence] = ++clock;
    }

    /** A sequence is done and its memory can no longer be trusted (an aborted or failed decode): empty it. */
    void discard(int sequence, SequenceMemory memory) {
        memory.removeRange(sequence, 0, -1);
        held[sequence] = new int[0];
        busy[sequence] = false;
    }

    /** The context was re-created: no sequence holds anything. */
    void reset() {
        Arrays.fill(held, new int[0]);
        Arrays.fill(busy, false);
    }

    /** Tokens a sequence holds, for tests and status. */
    int[] held(int sequence) {
        return held[sequence];
    }

    private static int commonPrefix(int[] cached, int[] prompt) {
        int max = Math.min(cached.length, prompt.length - 1);
        int n = 0;
        while (n < max && cached[n] == prompt[n]) n++;
        return n;
    }
}
