package dev.mica.gguf;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * Where a tensor's data comes from when {@link GgufWriter} writes it. The writer asks for it only while
 * writing that tensor, so a large file is produced without holding it in memory.
 */
public sealed interface TensorData {

    /** Supplies one row of float values: {@code dst.length} is the row length (ne0). */
    @FunctionalInterface
    interface RowSource {
        /**
         * Fills {@code dst} with row {@code row}; rows are numbered 0 .. ne1·ne2·ne3−1 in file order.
         * Called once per row, in order, from the writing thread.
         */
        void fill(long row, float[] dst);
    }

    /** Writes a tensor's bytes, already in its ggml type, to a channel. */
    @FunctionalInterface
    interface RawSource {
        /** Writes exactly the tensor's byte size to {@code out}. */
        void writeTo(WritableByteChannel out) throws IOException;
    }

    /** Float rows, converted by the writer to the tensor's type (F32, F16, BF16, Q8_0 or Q4_0). */
    record Rows(RowSource source) implements TensorData {}

    /** Bytes already in the tensor's type. */
    record Raw(RawSource source) implements TensorData {}

    /** Float rows produced by a callback. */
    static TensorData rows(RowSource source) {
        return new Rows(source);
    }

    /** All values in one array (row-major in GGUF order: ne0 varies fastest). */
    static TensorData of(float[] values) {
        float[] v = values;
        return new Rows((row, dst) -> System.arraycopy(v, Math.toIntExact(row * dst.length), dst, 0, dst.length));
    }

    /** Raw bytes produced by a callback. */
    static TensorData raw(RawSource source) {
        return new Raw(source);
    }

    /** Raw bytes already in the tensor's type. */
    static TensorData bytes(byte[] data) {
        byte[] d = data;
        return new Raw(out -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(d);
            while (b.hasRemaining()) out.write(b);
        });
    }
}
