package dev.mica.backend.java.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by the tensors and the ops. */
public final class Shapes {
    private Shapes() {}

    /** The number of elements of a shape; a shape of no dimensions holds one. */
    public static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** A negative axis counted from the end, checked. */
    public static int axis(int axis, int rank) {
        int a = axis < 0 ? rank + axis : axis;
        if (a < 0 || a >= rank) throw new IllegalArgumentException("axis " + axis + " is outside a tensor of rank " + rank);
        return a;
    }
}
