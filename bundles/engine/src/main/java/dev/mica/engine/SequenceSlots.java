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
 * of a conversation) is given that sequence and computes only what is new. Among free sequences
 * the longest shared prefix wins; without one, the least recently used is taken. Used by the
 * scheduler thread only.
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
     * Takes the free sequence that shares the longest prefix with {@code prompt} and drops what it
     * holds past that prefix. At least one prompt token is left to decode, since its logits start
     * the answer. Where the memory cannot drop a partial tail (recurrent and hybrid models), the
     * sequence starts empty. Call only when {@link #anyFree()}.
     */
    Assignment assign(int[] prompt, SequenceMemory memory) {
        int best = -1;
        int bestCommon = -1;
        for (int s = 0; s < held.length; s++) {
            if (busy[s]) continue;
            int common = commonPrefix(held[s], prompt);
            if (common > bestCommon || common == bestCommon && lastUsed[s] < lastUsed[best]) {
                best = s;
                bestCommon = common;
            }
        }
        if (best < 0) throw new IllegalStateException("no free sequence");
        int reused = bestCommon;
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
