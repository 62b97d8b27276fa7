package dev.mica.backend.java.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API species the kernels use, sized to the machine's preferred float vector (16 lanes
 * with AVX-512, 8 with AVX2): bytes and shorts are loaded L at a time and widened to L floats.
 * Machines with narrower vectors (L below 8, where no byte shape of L lanes exists) take the scalar
 * paths; {@code -Dmica.java.vector=false} forces them, and {@code -Dmica.java.vector.bits=256}
 * forces AVX2-sized vectors on a wider machine (the build tests all three).
 */
public final class Vec {
    public static final VectorSpecies<Float> F = Integer.getInteger("mica.java.vector.bits") == null
            ? FloatVector.SPECIES_PREFERRED
            : VectorSpecies.of(float.class, VectorShape.forBitSize(Integer.getInteger("mica.java.vector.bits")));
    public static final int L = F.length();
    public static final boolean ENABLED = L >= 8 && !"false".equals(System.getProperty("mica.java.vector"));
    public static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** L bytes (null where that is narrower than the smallest vector shape). */
    public static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** L shorts. */
    public static final VectorSpecies<Short> S = L >= 8 ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16)) : null;

    public static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    public static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    public static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    // Lane i swapped with lane i ^ k: one step of a fixed pairwise tree (identity where k >= L).
    private static final VectorShuffle<Float> SWAP1 = swap(1), SWAP2 = swap(2), SWAP4 = swap(4), SWAP8 = swap(8);

    private Vec() {}

    private static VectorShuffle<Float> swap(int k) {
        return VectorShuffle.fromOp(F, i -> k < L ? i ^ k : i);
    }

    /**
     * The sum of v's lanes in one fixed order. {@code reduceLanes(ADD)} leaves the order open, and
     * HotSpot uses one order when C2 compiles it and another before, so logits changed in the last
     * bit as the JIT warmed: a restored snapshot or a shared prefix must give the same bits again.
     */
    public static float sum(FloatVector v) {
        if (L > 8) v = v.add(v.rearrange(SWAP8));
        if (L > 4) v = v.add(v.rearrange(SWAP4));
        if (L > 2) v = v.add(v.rearrange(SWAP2));
        if (L > 1) v = v.add(v.rearrange(SWAP1));
        return v.lane(0);
    }

    /** IEEE half at a byte offset. */
    public static float half(MemorySegment m, long offset) {
        return Float.float16ToFloat(m.get(SHORT_LE, offset));
    }

    /** L signed bytes widened to floats. */
    public static FloatVector bytes(MemorySegment m, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(B, m, offset, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * L bytes sign-extended to int lanes, where nibble and bit unpacking is cheap (x86 has no byte
     * shifts, so doing it on byte lanes costs several instructions each).
     */
    public static IntVector ints(MemorySegment m, long offset) {
        return (IntVector) ByteVector.fromMemorySegment(B, m, offset, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    /** The low nibble of each byte lane (0..15). */
    public static IntVector low(IntVector bytes) {
        return bytes.and(0x0F);
    }

    /** The high nibble of each byte lane (0..15). */
    public static IntVector high(IntVector bytes) {
        return bytes.lanewise(VectorOperators.ASHR, 4).and(0x0F);
    }

    public static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /**
     * L IEEE halves widened to floats by bit arithmetic: the 15 magnitude bits move into a float's
     * exponent and mantissa, and a multiplication by 2^112 re-biases the exponent (exact for
     * normal and subnormal halves; weights hold no infinities or NaNs).
     */
    public static FloatVector halves(MemorySegment m, long offset) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, m, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        FloatVector magnitude = bits.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        IntVector sign = bits.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /** L bfloat16 values widened to floats (the upper half of a float's bits). */
    public static FloatVector bhalves(MemorySegment m, long offset) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, m, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** {@code Σ a[ao + i] · b[bo + i]} for i in [0, n). */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float sum = 0f;
        if (ENABLED && n >= L) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            for (; i + 2 * L <= n; i += 2 * L) {
                acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
                acc1 = FloatVector.fromArray(F, a, ao + i + L).fma(FloatVector.fromArray(F, b, bo + i + L), acc1);
            }
            for (; i + L <= n; i += L) {
                acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
            }
            sum = sum(acc0.add(acc1));
        }
        for (; i < n; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    /** {@code y[yo + i] += s · x[xo + i]} for i in [0, n). */
    public static void axpy(float s, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (ENABLED) {
            FloatVector sv = FloatVector.broadcast(F, s);
            for (; i + L <= n; i += L) {
                FloatVector.fromArray(F, x, xo + i).fma(sv, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) y[yo + i] += s * x[xo + i];
    }

    /** {@code x[xo + i] *= s} for i in [0, n). */
    public static void scale(float[] x, int xo, int n, float s) {
        int i = 0;
        if (ENABLED) {
            for (; i + L <= n; i += L) FloatVector.fromArray(F, x, xo + i).mul(s).intoArray(x, xo + i);
        }
        for (; i < n; i++) x[xo + i] *= s;
    }

    /** {@code a · s + acc}. */
    public static FloatVector fma(FloatVector a, float s, FloatVector acc) {
        return a.fma(FloatVector.broadcast(F, s), acc);
    }
}
