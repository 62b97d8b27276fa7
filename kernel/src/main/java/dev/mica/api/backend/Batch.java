package dev.mica.api.backend;

import java.util.Arrays;

/**
 * Tokens to decode together: each with its position, the sequence it belongs to, and whether its
 * logits are wanted. Reused across steps to keep the decode loop free of allocation.
 */
public final class Batch {
    private final int[] tokens;
    private final int[] positions;
    private final int[] sequences;
    private final boolean[] logits;
    private int size;

    public Batch(int capacity) {
        tokens = new int[capacity];
        positions = new int[capacity];
        sequences = new int[capacity];
        logits = new boolean[capacity];
    }

    /** Appends one token; returns its row index, which {@link InferenceContext#logits(int)} takes. */
    public int add(int token, int position, int sequence, boolean wantLogits) {
        if (size == tokens.length) {
            throw new IllegalStateException("batch full at " + size);
        }
        tokens[size] = token;
        positions[size] = position;
        sequences[size] = sequence;
        logits[size] = wantLogits;
        return size++;
    }

    public void clear() {
        size = 0;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return tokens.length;
    }

    public int token(int row) {
        return tokens[check(row)];
    }

    public int position(int row) {
        return positions[check(row)];
    }

    public int sequence(int row) {
        return sequences[check(row)];
    }

    public boolean wantsLogits(int row) {
        return logits[check(row)];
    }

    /** How many rows want logits. */
    public int logitRows() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (logits[i]) n++;
        }
        return n;
    }

    private int check(int row) {
        if (row < 0 || row >= size) {
            throw new IndexOutOfBoundsException(row);
        }
        return row;
    }

    @Override
    public String toString() {
        return "Batch[" + size + " tokens " + Arrays.toString(Arrays.copyOf(tokens, Math.min(size, 8))) + (size > 8 ? "...]" : "]");
    }
}
