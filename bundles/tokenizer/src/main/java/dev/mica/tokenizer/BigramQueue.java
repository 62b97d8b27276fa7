package dev.mica.tokenizer;

import java.util.Arrays;

/**
 * The work queue of candidate merges (llama.cpp's llm_bigram_spm / llm_bigram_bpe queues) as a
 * binary min-heap over primitives: a candidate is its priority, its left symbol (the tie-break:
 * leftmost first, as both llama.cpp comparators do), its right symbol and the byte size the merged
 * text had when the candidate was made (how a stale candidate is recognised).
 */
final class BigramQueue {
    private long[] keys = new long[64];
    private long[] payloads = new long[64];
    private int size;

    /** @param priority smaller is merged first */
    void push(int priority, int left, int right, int mergedSize) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            payloads = Arrays.copyOf(payloads, size * 2);
        }
        long key = ((long) priority << 32) | (left & 0xFFFF_FFFFL);
        long payload = ((long) right << 32) | (mergedSize & 0xFFFF_FFFFL);
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            keys[i] = keys[parent];
            payloads[i] = payloads[parent];
            i = parent;
        }
        keys[i] = key;
        payloads[i] = payload;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        size = 0;
    }

    // The smallest candidate, read with the accessors below, then removed with pop().
    int left() {
        return (int) keys[0];
    }

    int right() {
        return (int) (payloads[0] >>> 32);
    }

    int mergedSize() {
        return (int) payloads[0];
    }

    void pop() {
        long key = keys[--size];
        long payload = payloads[size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && keys[child + 1] < keys[child]) {
                child++;
            }
            if (key <= keys[child]) {
                break;
            }
            keys[i] = keys[child];
            payloads[i] = payloads[child];
            i = child;
        }
        keys[i] = key;
        payloads[i] = payload;
    }

    /**
     * A priority that orders scores highest first, as llama.cpp's SentencePiece queue does
     * ({@code l.score < r.score}: -0.0 and 0.0 are equal there, so they are here).
     */
    static int descendingScore(float score) {
        int bits = Float.floatToIntBits(score == 0.0f ? 0.0f : score);
        int ascending = bits < 0 ? bits ^ 0x7FFF_FFFF : bits;
        return ~ascending;
    }
}
