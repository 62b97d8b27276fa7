package dev.mica.backend.java.tensor;

import dev.mica.api.arch.Tensor;
import java.util.Arrays;

/** An "i32" tensor of indices (expert choices from top-k), row-major. */
public final class IntTensor implements Tensor {
    private final int[] data;
    private final long[] shape;

    public IntTensor(int[] data, long... shape) {
        if (Shapes.count(shape) != data.length) {
            throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(shape));
        }
        this.data = data;
        this.shape = shape.clone();
    }

    public int[] data() {
        return data;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public String type() {
        return "i32";
    }

    @Override
    public String toString() {
        return "i32" + Arrays.toString(shape);
    }
}
