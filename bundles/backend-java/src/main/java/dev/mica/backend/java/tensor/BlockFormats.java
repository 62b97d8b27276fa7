package dev.mica.backend.java.tensor;

import static dev.mica.backend.java.tensor.Vec.F;
import static dev.mica.backend.java.tensor.Vec.L;

import dev.mica.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Formats of 32- and 64-element blocks with one or four scales: Q8_0, Q4_0, MXFP4, NVFP4. */
final class BlockFormats {
    private BlockFormats() {}

    /** 34 bytes per 32: fp16 scale d, 32 signed bytes q; x = d·q. */
    static final class Q8_0 extends WeightFormat {
        Q8_0() {
            super(GgmlType.Q8_0);
        }

        @Override
        public void reference(MemorySegment w, long offset, float[] y, int yo, int n) {
            for (int b = 0; b < n / 32; b++) {
                long at = offset + 34L * b;
                float d = Vec.half(w, at);
                for (int j = 0; j < 32; j++) y[yo + 32 * b + j] = d * w.get(ValueLayout.JAVA_BYTE, at + 2 + j);
            }
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] y, int yo, int n) {
            if (!Vec.ENABLED) {
                reference(w, offset, y, yo, n);
                return;
            }
            for (int b = 0; b < n / 32; b++) {
                long at = offset + 34L * b;
                float d = Vec.half(w, at);
                for (int j = 0; j < 32; j += L) Vec.bytes(w, at + 2 + j).mul(d).intoArray(y, yo + 32 * b + j);
            }
        }

        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xo, int n) {
            if (!Vec.ENABLED) return super.dot(w, offset, x, xo, n);
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < n / 32; b++) {
                long at = offset + 34L * b;
                int xb = xo + 32 * b;
                FloatVector sum = Vec.bytes(w, at + 2).mul(FloatVector.fromArray(F, x, xb));
                for (int j = L; j < 32; j += L) {
                    sum = Vec.bytes(w, at + 2 + j).fma(FloatVector.fromArray(F, x, xb + j), sum);
                }
                acc = Vec.fma(sum, Vec.half(w, at), acc);
            }
            return Vec.sum(acc);
        }

        /** Two rows at once are faster at every length (measured with bench/MatVecBench.java: 5% at 2048, 40–60% at 8192). */
        @Override
        public boolean pairsRows(int n) {
            return Vec.ENABLED;
        }

        /** {@link #dot}'s arithmetic for each of the two rows, the input's vectors loaded once for both. */
        @Override
        public void dot2(MemorySegment w, long o0, long o1, float[] x, int xo, int n, float[] out, int i0, int i1) {
            if (!Vec.ENABLED) {
                super.dot2(w, o0, o1, x, xo, n, out, i0, i1);
                return;
            }
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            for (int b = 0; b < n / 32; b++) {
                long a0 = o0 + 34L * b, a1 = o1 + 34L * b;
                int xb = xo + 32 * b;
                FloatVector xv = FloatVector.fromArray(F, x, xb);
                FloatVector s0 = Vec.bytes(w, a0 + 2).mul(xv), s1 = Vec.bytes(w, a1 + 2).mul(xv);
                for (int j = L; j < 32; j += L) {
                    xv = FloatVector.fromArray(F, x, xb + j);
                    s0 = Vec.bytes(w, a0 + 2 + j).fma(xv, s0);
                    s1 = Vec.bytes(w, a1 + 2 + j).fma(xv, s1);
                }
                acc0 = Vec.fma(s0, Vec.half(w, a0), acc0);
                acc1 = Vec.fma(s1, Vec.half(w, a1), acc1);
            }
            out[i0] = Vec.sum(acc0);
            out[i1] = Vec.sum(acc1);
        }
    }

    /** 18 bytes per 32: fp16 scale d, 16 bytes whose low nibbles are elements 0..15, high 16..31; x = d·(q − 8). */
    static final class Q4_0 extends WeightFormat {
        Q4_0() {
            super(GgmlType.Q4_0);
        }

        @Override
        public void reference(MemorySegment w, long offset, float[] y, int yo, int n) {
            for (int b = 0; b < n / 32; b++) {
                long at = offset + 18L * b;
                float d = Vec.half(w, at);
                for (int j = 0; j < 16; j++) {
                    int q = w.get(ValueLayout.JAVA_BYTE, at + 2 + j) & 0xFF;
                    y[yo + 32 * b + j] = d * ((q & 0x0F) - 8);
                    y[yo + 32 * b + j + 16] = d * ((q >>> 4) - 8);
                }
            }
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] y, int yo, int n) {
            if (!Vec.ENABLED) {
                reference(w, offset, y, yo, n);
                return;
            }
            for (int b = 0; b < n / 32; b++) {
                long at = offset + 18L * b;
                float d = Vec.half(w, at);
                for (int j = 0; j < 16; j += L) {
                    IntVector q = Vec.ints(w, at + 2 + j);
                    Vec.toFloat(Vec.low(q).sub(8)).mul(d).intoArray(y, yo + 32 * b + j);
                    Vec.toFloat(Vec.high(q).sub(8)).mul(d).intoArray(y, yo + 32 * b + 16 + j);
                }
            }
        }

        /**
         * The float value q − 8 of each nibble q, as float bits in 16 int lanes: a permutation by the
         * nibble (which reads only an index's low 4 bits) turns a weight into its float in one
         * instruction, instead of a mask, a subtraction and a conversion. Null unless vectors have 16 lanes.
         */
        private static final IntVector NIBBLES = nibbles();

        private static IntVector nibbles() {
            if (!Vec.ENABLED || L != 16) return null;
            int[] t = new int[16];
            for (int q = 0; q < 16; q++) t[q] = Float.floatToRawIntBits(q - 8);
            return IntVector.fromArray(Vec.I, t, 0);
        }

        /** Elements 0..15 of a block (the low nibbles of its bytes, widened to int lanes) as floats q − 8. */
        private static FloatVector lowNibbles(IntVector bytes) {
            return bytes.selectFrom(NIBBLES).reinterpretAsFloats();
        }

        /** Elements 16..31 (the high nibbles). */
        private static FloatVector highNibbles(IntVector bytes) {
            return bytes.lanewise(VectorOperators.ASHR, 4).selectFrom(NIBBLES).reinterpretAsFloats();
        }

        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xo, int n) {
            if (!Vec.ENABLED) return super.dot(w, offset, x, xo, n);
            if (L != 16) return dotNarrow(w, offset, x, xo, n);
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < n / 32; b++) {
                long at = offset + 18L * b;
                int xb = xo + 32 * b;
                IntVector q = Vec.ints(w, at + 2);
                FloatVector s = lowNibbles(q).mul(FloatVector.fromArray(F, x, xb));
                s = highNibbles(q).fma(FloatVector.fromArray(F, x, xb + 16), s);
                acc = Vec.fma(s, Vec.half(w, at), acc);
            }
            return Vec.sum(acc);
        }

        /**
         * Only where the input outgrows half the L1 cache (8192 floats: 32 KiB): there a row's dot
         * alone reads it from L2 and two rows at once are ~25% faster; on shorter rows, where this
         * kernel is bound by its unpacking, they are ~5% slower (bench/MatVecBench.java).
         */
        @Override
        public boolean pairsRows(int n) {
            return Vec.ENABLED && L == 16 && n > 4096;
        }

        /** {@link #dot}'s arithmetic for each of the two rows, the input's vectors loaded once for both. */
        @Override
        public void dot2(MemorySegment w, long o0, long o1, float[] x, int xo, int n, float[] out, int i0, int i1) {
            if (!Vec.ENABLED || L != 16) {
                super.dot2(w, o0, o1, x, xo, n, out, i0, i1);
                return;
            }
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            for (int b = 0; b < n / 32; b++) {
                long a0 = o0 + 18L * b, a1 = o1 + 18L * b;
                int xb = xo + 32 * b;
                IntVector q0 = Vec.ints(w, a0 + 2), q1 = Vec.ints(w, a1 + 2);
                FloatVector xl = FloatVector.fromArray(F, x, xb), xh = FloatVector.fromArray(F, x, xb + 16);
                FloatVector s0 = lowNibbles(q0).mul(xl), s1 = lowNibbles(q1).mul(xl);
                s0 = highNibbles(q0).fma(xh, s0);
                s1 = highNibbles(q1).fma(xh, s1);
                acc0 = Vec.fma(s0, Vec.half(w, a0), acc0);
                acc1 = Vec.fma(s1, Vec.half(w, a1), acc1);
            }
            out[i0] = Vec.sum(acc0);
            out[i1] = Vec.sum(acc1);
        }

        /** Vectors of 8 floats: half a block's nibbles at a time. */
        private static float dotNarrow(MemorySegment w, long offset, float[] x, int xo, int n) {
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < n / 32; b++) {
                long at = offset + 18L * b;
                int xb = xo + 32 * b;
                FloatVector sum = FloatVector.zero(F);
                for (int j = 0; j < 16; j += L) {
                    IntVector q = Vec.ints(w, at + 2 + j);
                    sum = Vec.toFloat(Vec.low(q).sub(8)).fma(FloatVector.fromArray(F, x, xb + j), sum);
                    sum = Vec.toFloat(Vec.high(q).sub(8)).fma(FloatVector.fromArray(F, x, xb + 16 + j), sum);
                }
                acc = Vec.fma(sum, Vec.half(w, at), acc);
            }
            return Vec.sum(acc);
        }
    }

    /** The E2M1 values of a nibble, doubled (ggml's {@code kvalues_mxfp4}); the scales halve them back. */
    private static final float[] FP4 = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    /** 17 bytes per 32: an E8M0 scale, then 16 bytes of E2M1 nibbles (low: 0..15, high: 16..31). */
    static final class MXFP4 extends WeightFormat {
        MXFP4() {
            super(GgmlType.MXFP4);
        }

        /** ggml's {@code ggml_e8m0_to_fp32_half}: 2^(e − 128). */
        static float e8m0Half(int e) {
            return e < 2 ? Float.intBitsToFloat(0x00200000 << e) : Float.intBitsToFloat((e - 1) << 23);
        }

        @Override
        public void reference(MemorySegment w, long offset, float[] y, int yo, int n) {
            for (int b = 0; b < n / 32; b++) {
                long at = offset + 17L * b;
                float d = e8m0Half(w.get(ValueLayout.JAVA_BYTE, at) & 0xFF);
                for (int j = 0; j < 16; j++) {
                    int q = w.get(ValueLayout.JAVA_BYTE, at + 1 + j) & 0xFF;
                    y[yo + 32 * b + j] = FP4[q & 0x0F] * d;
                    y[yo + 32 * b + j + 16] = FP4[q >>> 4] * d;
                }
            }
        }
    }

    /** 36 bytes per 64: four UE4M3 scales (one per 16), then per 16 elements 8 bytes of E2M1 nibbles (low: 0..7, high: 8..15). */
    static final class NVFP4 extends WeightFormat {
        NVFP4() {
            super(GgmlType.NVFP4);
        }

        /** ggml's {@code ggml_ue4m3_to_fp32}, halved to match the doubled nibble values. */
        static float ue4m3Half(int x) {
            if (x == 0 || x == 0x7F) return 0f;
            int exp = (x >>> 3) & 0xF;
            int man = x & 0x7;
            float raw = exp == 0 ? Math.scalb((float) man, -9) : Math.scalb(1f + man / 8f, exp - 7);
            return raw * 0.5f;
        }

        @Override
        public void reference(MemorySegment w, long offset, float[] y, int yo, int n) {
            for (int b = 0; b < n / 64; b++) {
                long at = offset + 36L * b;
                for (int s = 0; s < 4; s++) {
                    float d = ue4m3Half(w.get(ValueLayout.JAVA_BYTE, at + s) & 0xFF);
                    int ys = yo + 64 * b + 16 * s;
                    for (int j = 0; j < 8; j++) {
                        int q = w.get(ValueLayout.JAVA_BYTE, at + 4 + 8 * s + j) & 0xFF;
                        y[ys + j] = FP4[q & 0x0F] * d;
                        y[ys + j + 8] = FP4[q >>> 4] * d;
                    }
                }
            }
        }
    }
}
