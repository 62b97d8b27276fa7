package dev.mica.backend.java.tensor;

import static dev.mica.backend.java.tensor.Vec.F;
import static dev.mica.backend.java.tensor.Vec.FLOAT_LE;
import static dev.mica.backend.java.tensor.Vec.L;
import static dev.mica.backend.java.tensor.Vec.LE;

import dev.mica.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * How a weight row is encoded, and the two things a matmul needs from it: a fused dot product with
 * a float vector (one token: each weight byte is read once, so decoding is memory-bound and should
 * not write floats anywhere) and dequantization into floats (many tokens: a row is decoded once and
 * reused for every token).
 *
 * <p>{@link #reference} is the plain scalar decoding, written after ggml's C code for each format;
 * {@link #dequantize} and {@link #dot} are the Vector API kernels, which the tests hold to it.
 */
public abstract class WeightFormat {
    private final GgmlType type;

    WeightFormat(GgmlType type) {
        this.type = type;
    }

    public final GgmlType type() {
        return type;
    }

    /** ggml's name: "f32", "q4_K". */
    public final String name() {
        return type.ggmlName();
    }

    public final int blockSize() {
        return type.blockSize();
    }

    public final long rowBytes(int n) {
        return type.rowSize(n);
    }

    /** Decodes {@code n} elements (whole blocks) at byte {@code offset} into {@code y[yo..]}, one by one. */
    public abstract void reference(MemorySegment w, long offset, float[] y, int yo, int n);

    /** As {@link #reference}, vectorized where the format has a kernel for it. */
    public void dequantize(MemorySegment w, long offset, float[] y, int yo, int n) {
        reference(w, offset, y, yo, n);
    }

    /** {@code Σ w[i] · x[xo + i]} over {@code n} elements (whole blocks) at byte {@code offset}. */
    public float dot(MemorySegment w, long offset, float[] x, int xo, int n) {
        float[] row = SCRATCH.get();
        if (row.length < n) SCRATCH.set(row = new float[n]);
        dequantize(w, offset, row, 0, n);
        return Vec.dot(row, 0, x, xo, n);
    }

    /**
     * Two rows' {@link #dot}s with the same input: {@code out[i0]} for the row at byte {@code o0},
     * {@code out[i1]} for the one at {@code o1}, each bit for bit what {@link #dot} gives it. Formats
     * whose kernel reads the input faster once for two rows override it (an input of 8192 floats
     * fills a 32 KiB L1 cache, so a row's dot alone reads it from L2).
     */
    public void dot2(MemorySegment w, long o0, long o1, float[] x, int xo, int n, float[] out, int i0, int i1) {
        out[i0] = dot(w, o0, x, xo, n);
        out[i1] = dot(w, o1, x, xo, n);
    }

    /** Whether {@link #dot2} beats two {@link #dot}s on rows of {@code n} elements (the n &lt; 4 matmul pairs rows then). */
    public boolean pairsRows(int n) {
        return false;
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[4096]);

    private static final Map<GgmlType, WeightFormat> FORMATS = Map.of(
            GgmlType.F32, new F32(),
            GgmlType.F16, new F16(),
            GgmlType.BF16, new BF16(),
            GgmlType.Q8_0, new BlockFormats.Q8_0(),
            GgmlType.Q4_0, new BlockFormats.Q4_0(),
            GgmlType.Q4_K, new KQuants.Q4_K(),
            GgmlType.Q6_K, new KQuants.Q6_K(),
            GgmlType.MXFP4, new BlockFormats.MXFP4(),
            GgmlType.NVFP4, new BlockFormats.NVFP4());

    /** The format of a ggml type, or null where the Java backend has no kernel for it. */
    public static WeightFormat of(GgmlType type) {
        return FORMATS.get(type);
    }

    /** The names of the types the Java backend reads, for error messages. */
    public static String supported() {
        return "F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, MXFP4, NVFP4";
    }

    // ---------------------------------------------------------------- unquantized

    static final class F32 extends WeightFormat {
        F32() {
            super(GgmlType.F32);
        }

        @Override
        public void reference(MemorySegment w, long offset, float[] y, int yo, int n) {
            for (int i = 0; i < n; i++) y[yo + i] = w.get(FLOAT_LE, offset + 4L * i);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] y, int yo, int n) {
            MemorySegment.copy(w, FLOAT_LE, offset, y, yo, n);
        }

        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xo, int n) {
            int i = 0;
            float sum = 0f;
            if (Vec.ENABLED) {
                FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
                for (; i + 2 * L <= n; i += 2 * L) {
                    acc0 = FloatVector.fromMemorySegment(F, w, offset + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), acc0);
                    acc1 = FloatVector.fromMemorySegment(F, w, offset + 4L * (i + L), LE).fma(FloatVector.fromArray(F, x, xo + i + L), acc1);
                }
                for (; i + L <= n; i += L) {
                    acc0 = FloatVector.fromMemorySegment(F, w, offset + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), acc0);
                }
                sum = Vec.sum(acc0.add(acc1));
            }
            for (; i < n; i++) sum += w.get(FLOAT_LE, offset + 4L * i) * x[xo + i];
            return sum;
        }
    }

    static final class F16 extends WeightFormat {
        F16() {
            super(GgmlType.F16);
        }

        @Override
        public void reference(MemorySegment w, long offset, float[] y, int yo, int n) {
            for (int i = 0; i < n; i++) y[yo + i] = Vec.half(w, offset + 2L * i);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] y, int yo, int n) {
            int i = 0;
            if (Vec.ENABLED) for (; i + L <= n; i += L) Vec.halves(w, offset + 2L * i).intoArray(y, yo + i);
            for (; i < n; i++) y[yo + i] = Vec.half(w, offset + 2L * i);
        }

        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xo, int n) {
            int i = 0;
            float sum = 0f;
            if (Vec.ENABLED) {
                FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
                for (; i + 2 * L <= n; i += 2 * L) {
                    acc0 = Vec.halves(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), acc0);
                    acc1 = Vec.halves(w, offset + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xo + i + L), acc1);
                }
                for (; i + L <= n; i += L) {
                    acc0 = Vec.halves(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), acc0);
                }
                sum = Vec.sum(acc0.add(acc1));
            }
            for (; i < n; i++) sum += Vec.half(w, offset + 2L * i) * x[xo + i];
            return sum;
        }
    }

    static final class BF16 extends WeightFormat {
        BF16() {
            super(GgmlType.BF16);
        }

        private static float bf16(MemorySegment w, long at) {
            return Float.intBitsToFloat((w.get(Vec.SHORT_LE, at) & 0xFFFF) << 16);
        }

        @Override
        public void reference(MemorySegment w, long offset, float[] y, int yo, int n) {
            for (int i = 0; i < n; i++) y[yo + i] = bf16(w, offset + 2L * i);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] y, int yo, int n) {
            int i = 0;
            if (Vec.ENABLED) for (; i + L <= n; i += L) Vec.bhalves(w, offset + 2L * i).intoArray(y, yo + i);
            for (; i < n; i++) y[yo + i] = bf16(w, offset + 2L * i);
        }

        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xo, int n) {
            int i = 0;
            float sum = 0f;
            if (Vec.ENABLED) {
                FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
                for (; i + 2 * L <= n; i += 2 * L) {
                    acc0 = Vec.bhalves(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), acc0);
                    acc1 = Vec.bhalves(w, offset + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xo + i + L), acc1);
                }
                for (; i + L <= n; i += L) {
                    acc0 = Vec.bhalves(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), acc0);
                }
                sum = Vec.sum(acc0.add(acc1));
            }
            for (; i < n; i++) sum += bf16(w, offset + 2L * i) * x[xo + i];
            return sum;
        }
    }
}
