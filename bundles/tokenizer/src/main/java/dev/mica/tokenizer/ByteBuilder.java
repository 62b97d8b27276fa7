package dev.mica.tokenizer;

import java.util.Arrays;

/** A growable byte array (unsynchronized, unlike ByteArrayOutputStream). */
final class ByteBuilder {
    private byte[] bytes;
    private int size;

    ByteBuilder(int capacity) {
        bytes = new byte[Math.max(16, capacity)];
    }

    void append(int b) {
        if (size == bytes.length) {
            bytes = Arrays.copyOf(bytes, bytes.length * 2);
        }
        bytes[size++] = (byte) b;
    }

    void append(byte[] src) {
        append(src, 0, src.length);
    }

    void append(byte[] src, int offset, int length) {
        if (size + length > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + length));
        }
        System.arraycopy(src, offset, bytes, size, length);
        size += length;
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
    }

    byte[] toArray() {
        return Arrays.copyOf(bytes, size);
    }

    /** The bytes as a byte string (see {@link ByteStrings}). */
    String toByteString() {
        return ByteStrings.of(bytes, 0, size);
    }
}
