package dev.mica.gguf;

import java.util.Arrays;

/**
 * One tensor of a GGUF file, as its header describes it.
 *
 * @param name     the tensor's name ("blk.0.attn_q.weight")
 * @param type     its ggml type
 * @param shape    its dimensions in GGUF/ggml order: {@code shape[0]} (ne0) is the row length, the
 *                 fastest-varying dimension; 1 to 4 entries (a copy is returned)
 * @param offset   absolute byte offset of its data in the file (data section start + relative offset)
 * @param byteSize exact bytes of its data
 */
public record GgufTensor(String name, GgmlType type, long[] shape, long offset, long byteSize) {

    public GgufTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int dims() {
        return shape.length;
    }

    /** Dimension {@code i} (ne_i), 1 for dimensions beyond {@link #dims()}. */
    public long ne(int i) {
        return i < shape.length ? shape[i] : 1;
    }

    /** Number of elements (the product of the shape). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape)
                && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + type.hashCode()) * 31 + Arrays.hashCode(shape) + Long.hashCode(offset);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape) + " @" + offset + " (" + byteSize + " bytes)";
    }
}
