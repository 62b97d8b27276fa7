package dev.mica.backend.java.tensor;

import dev.mica.api.arch.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A model weight, read in place from the memory-mapped GGUF file: {@code rows} rows of
 * {@code rowLength} elements in one of the {@link WeightFormat}s. Matmuls read it block by block;
 * small tensors used elementwise (norm weights, biases) are turned into floats once, on first use.
 */
public final class WeightTensor implements Tensor {
    private final String name;
    private final WeightFormat format;
    private final long[] shape;
    private final MemorySegment data;
    private final int rowLength;
    private final long rows;
    private final long rowBytes;
    private volatile FloatTensor floats;

    /**
     * @param shape row-major, outermost first; the last dimension is the row length
     * @param data  exactly the tensor's bytes
     */
    public WeightTensor(String name, WeightFormat format, long[] shape, MemorySegment data) {
        this.name = name;
        this.format = format;
        this.shape = shape.clone();
        this.data = data;
        this.rowLength = Math.toIntExact(shape[shape.length - 1]);
        this.rows = Shapes.count(shape) / Math.max(1, rowLength);
        this.rowBytes = format.rowBytes(rowLength);
        if (rows * rowBytes != data.byteSize()) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + format.name() + Arrays.toString(shape));
        }
    }

    public String name() {
        return name;
    }

    public WeightFormat format() {
        return format;
    }

    public MemorySegment data() {
        return data;
    }

    public int rowLength() {
        return rowLength;
    }

    public long rows() {
        return rows;
    }

    /** Byte offset of row {@code r} in {@link #data()}. */
    public long rowOffset(long r) {
        return r * rowBytes;
    }

    /** The whole tensor as floats, made on first use and kept. Meant for small tensors. */
    public FloatTensor asFloats() {
        FloatTensor f = floats;
        if (f == null) {
            float[] out = new float[Math.toIntExact(Shapes.count(shape))];
            for (long r = 0; r < rows; r++) {
                format.dequantize(data, rowOffset(r), out, (int) (r * rowLength), rowLength);
            }
            floats = f = new FloatTensor(out, shape);
        }
        return f;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public String type() {
        return format.name();
    }

    @Override
    public String toString() {
        return name + " " + format.name() + Arrays.toString(shape);
    }
}
