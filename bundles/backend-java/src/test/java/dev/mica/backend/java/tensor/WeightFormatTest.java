package dev.mica.backend.java.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mica.gguf.GgmlQuants;
import dev.mica.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Vector API kernels of every format against the scalar reference decoding. */
class WeightFormatTest {

    /** Random blocks with sane scales: random bytes everywhere, then each format's scale fields set to small finite values. */
    static MemorySegment randomRows(GgmlType type, int rowLength, int rows, long seed) {
        Random r = new Random(seed);
        MemorySegment m = Arena.ofAuto().allocate(type.rowSize(rowLength) * rows, 64);
        for (long i = 0; i < m.byteSize(); i++) m.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(256));
        long block = type.typeSize();
        for (long b = 0; b < m.byteSize(); b += block) {
            switch (type) {
                case F16 -> { }
                case F32 -> { }
                case BF16 -> { }
                case Q8_0, Q4_0 -> m.set(Vec.SHORT_LE, b, GgmlQuants.fp32ToFp16((float) (r.nextGaussian() * 0.02)));
                case Q4_K -> {
                    m.set(Vec.SHORT_LE, b, GgmlQuants.fp32ToFp16(r.nextFloat() * 0.01f));
                    m.set(Vec.SHORT_LE, b + 2, GgmlQuants.fp32ToFp16(r.nextFloat() * 0.01f));
                }
                case Q6_K -> m.set(Vec.SHORT_LE, b + 208, GgmlQuants.fp32ToFp16((float) (r.nextGaussian() * 0.01)));
                case MXFP4 -> m.set(ValueLayout.JAVA_BYTE, b, (byte) (120 + r.nextInt(10)));
                case NVFP4 -> { for (int s = 0; s < 4; s++) m.set(ValueLayout.JAVA_BYTE, b + s, (byte) (r.nextInt(0x7E) + 1)); }
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        if (type == GgmlType.F16) for (long i = 0; i < m.byteSize(); i += 2) m.set(Vec.SHORT_LE, i, GgmlQuants.fp32ToFp16(r.nextFloat() - 0.5f));
        if (type == GgmlType.BF16) for (long i = 0; i < m.byteSize(); i += 2) m.set(Vec.SHORT_LE, i, GgmlQuants.fp32ToBf16(r.nextFloat() - 0.5f));
        if (type == GgmlType.F32) for (long i = 0; i < m.byteSize(); i += 4) m.set(Vec.FLOAT_LE, i, r.nextFloat() - 0.5f);
        return m;
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "MXFP4", "NVFP4"})
    void kernelsAgreeWithTheReference(GgmlType type) {
        WeightFormat f = WeightFormat.of(type);
        assertNotNull(f);
        int n = 512, rows = 3;
        MemorySegment m = randomRows(type, n, rows, type.ordinal());
        Random r = new Random(5);
        float[] x = new float[n + 7];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        for (int row = 0; row < rows; row++) {
            long at = row * type.rowSize(n);
            float[] ref = new float[n], vec = new float[n + 3];
            f.reference(m, at, ref, 0, n);
            f.dequantize(m, at, vec, 3, n);
            float[] shifted = new float[n];
            System.arraycopy(vec, 3, shifted, 0, n);
            assertArrayEquals(ref, shifted, type + " row " + row + ": the vectorized decoding is the reference's");
            double expected = 0, scale = 0;
            for (int i = 0; i < n; i++) {
                expected += (double) ref[i] * x[i + 7];
                scale += Math.abs((double) ref[i] * x[i + 7]);
            }
            float dot = f.dot(m, at, x, 7, n);
            assertEquals(expected, dot, 1e-5 * scale + 1e-6, type + " row " + row + ": fused dot");
        }
    }

    /**
     * Two rows at once give each row's {@link WeightFormat#dot} bit for bit (so a matmul's result
     * does not depend on how its rows were paired, nor on the thread count), for row lengths of
     * odd and even block counts.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "MXFP4", "NVFP4"})
    void twoRowsAtOnceAreEachRowsDot(GgmlType type) {
        WeightFormat f = WeightFormat.of(type);
        for (int n : new int[] {type.blockSize(), 3 * 256, 17 * 64, 4096}) {
            if (n % type.blockSize() != 0) continue;
            int rows = 5;
            MemorySegment m = randomRows(type, n, rows, n + type.ordinal());
            Random r = new Random(n);
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
            float[] ref = new float[n];
            for (int[] pair : new int[][] {{0, 1}, {4, 2}, {3, 3}}) {
                long a0 = pair[0] * type.rowSize(n), a1 = pair[1] * type.rowSize(n);
                float[] out = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
                f.dot2(m, a0, a1, x, 3, n, out, 3, 1);
                assertEquals(Float.floatToRawIntBits(f.dot(m, a0, x, 3, n)), Float.floatToRawIntBits(out[3]), type + " n " + n + " first row");
                assertEquals(Float.floatToRawIntBits(f.dot(m, a1, x, 3, n)), Float.floatToRawIntBits(out[1]), type + " n " + n + " second row");
                assertEquals(Float.NaN, out[0]);
                assertEquals(Float.NaN, out[2]);
                f.reference(m, a1, ref, 0, n);
                double expected = 0, scale = 0;
                for (int i = 0; i < n; i++) {
                    expected += (double) ref[i] * x[i + 3];
                    scale += Math.abs((double) ref[i] * x[i + 3]);
                }
                assertEquals(expected, out[1], 1e-5 * scale + 1e-6, type + " n " + n + ": against the reference");
            }
        }
    }

    /** Q4_0's nibble table holds every nibble's q − 8: all 256 byte values decode as the reference does. */
    @Test
    void everyQ4ByteDecodesInTheFusedDot() {
        WeightFormat f = WeightFormat.of(GgmlType.Q4_0);
        int n = 512;
        MemorySegment m = Arena.ofAuto().allocate(GgmlType.Q4_0.rowSize(n), 64);
        for (int b = 0; b < n / 32; b++) {
            m.set(Vec.SHORT_LE, 18L * b, GgmlQuants.fp32ToFp16(1f));
            for (int j = 0; j < 16; j++) m.set(ValueLayout.JAVA_BYTE, 18L * b + 2 + j, (byte) (16 * b + j));
        }
        float[] ref = new float[n];
        f.reference(m, 0, ref, 0, n);
        for (int i = 0; i < n; i++) {
            float[] x = new float[n];
            x[i] = 1f;
            assertEquals(ref[i], f.dot(m, 0, x, 0, n), "element " + i);
        }
    }

    @Test
    void scalesDecodeAsGgmlDoes() {
        assertEquals(0.5f, BlockFormats.MXFP4.e8m0Half(127));      // 2^0, halved
        assertEquals(0x1p-128f, BlockFormats.MXFP4.e8m0Half(0));
        assertEquals(0x1p-127f, BlockFormats.MXFP4.e8m0Half(1));
        assertEquals(0.5f, BlockFormats.NVFP4.ue4m3Half(0x38));   // exponent 7, mantissa 0: 1.0, halved
        assertEquals(0f, BlockFormats.NVFP4.ue4m3Half(0x7F));
        assertEquals(0x1p-9f * 3 * 0.5f, BlockFormats.NVFP4.ue4m3Half(3)); // subnormal
    }

    /** Q8_0 and Q4_0 as the GGUF library quantizes them decode to what it decodes them to. */
    @Test
    void q8AndQ4DecodeAsTheGgufLibrary() {
        float[] values = new float[64];
        Random r = new Random(9);
        for (int i = 0; i < values.length; i++) values[i] = r.nextFloat() * 4 - 2;
        byte[] q8 = new byte[68], q4 = new byte[36];
        GgmlQuants.quantizeRowQ8_0(values, 0, 64, q8, 0);
        GgmlQuants.quantizeRowQ4_0(values, 0, 64, q4, 0);
        float[] want8 = new float[64], want4 = new float[64], got8 = new float[64], got4 = new float[64];
        GgmlQuants.dequantizeRowQ8_0(q8, 0, 64, want8, 0);
        GgmlQuants.dequantizeRowQ4_0(q4, 0, 64, want4, 0);
        WeightFormat.of(GgmlType.Q8_0).dequantize(MemorySegment.ofArray(q8), 0, got8, 0, 64);
        WeightFormat.of(GgmlType.Q4_0).dequantize(MemorySegment.ofArray(q4), 0, got4, 0, 64);
        assertArrayEquals(want8, got8);
        assertArrayEquals(want4, got4);
    }

    @Test
    void typesWithoutAKernelHaveNoFormat() {
        assertNull(WeightFormat.of(GgmlType.Q5_K));
        assertNull(WeightFormat.of(GgmlType.IQ2_XXS));
    }
}
