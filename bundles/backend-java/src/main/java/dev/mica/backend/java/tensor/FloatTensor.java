package dev.mica.backend.java.tensor;

import dev.mica.api.arch.Tensor;
import java.util.Arrays;

/**
 * An F32 activation: a heap array in row-major order. Ops never change a tensor once made, so a
 * reshape shares its array.
 */
public final class FloatTensor implements Tensor {
    private final float[] data;
    private final long[] shape;

    public FloatTensor(float[] data, long... shape) {
        long n = Shapes.count(shape);
        if (n != data.length) {
            throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(shape));
        }
        this.data = data;
        this.shape = shape.clone();
    }

    public static FloatTensor zeros(long... shape) {
        return new FloatTensor(new float[Math.toIntExact(Shapes.count(shape))], shape);
    }

    /** The values; callers that made the tensor may fill them, nobody changes them afterwards. */
    public float[] data() {
        return data;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The shape without a copy: do not change it. */
    long[] shapeRef() {
        return shape;
    }

    @Override
    public int rank() {
        return shape.length;
    }

    @Override
    public long dim(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    /** Size of the last axis. */
    public int width() {
        return shape.length == 0 ? 1 : (int) shape[shape.length - 1];
    }

    /** Number of rows: all axes but the last. */
    public int rows() {
        return width() == 0 ? 0 : data.length / width();
    }

    @Override
    public String type() {
        return "f32";
    }

    @Override
    public String toString() {
        return "f32" + Arrays.toString(shape);
    }
}
