package dev.mica.tokenizer;

import java.util.Arrays;

/**
 * A map from a pair of non-negative ints to a long, open addressing without boxing: the BPE merge
 * table (a few hundred thousand pairs) costs two long arrays instead of a million objects.
 */
final class PairTable {
    private static final long EMPTY = -1L;

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    PairTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFF_FFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    /** Stores the value for (a, b) unless the pair already has one; true if stored. */
    boolean putIfAbsent(int a, int b, long value) {
        if (a < 0 || b < 0) {
            throw new IllegalArgumentException("pair (" + a + ", " + b + ")");
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        long key = key(a, b);
        int i = slot(key);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                return false;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        size++;
        return true;
    }

    /** The value for (a, b), or {@code missing}. */
    long get(int a, int b, long missing) {
        if (a < 0 || b < 0) {
            return missing;
        }
        long key = key(a, b);
        int i = slot(key);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return missing;
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                int j = slot(oldKeys[i]);
                while (keys[j] != EMPTY) {
                    j = (j + 1) & mask;
                }
                keys[j] = oldKeys[i];
                values[j] = oldValues[i];
            }
        }
    }
}
