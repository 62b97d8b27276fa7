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

        /** Two blocks per step, each into its own accumulator: the nibble unpacking of one overlaps the other's FMAs. */
        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xo, int n) {
            if (!Vec.ENABLED) return super.dot(w, offset, x, xo, n);
            if (L != 16) return dotNarrow(w, offset, x, xo, n);
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int blocks = n / 32, b = 0;
            for (; b + 1 < blocks; b += 2) {
                long at = offset + 18L * b;
                int xb = xo + 32 * b;
                IntVector q0 = Vec.ints(w, at + 2), q1 = Vec.ints(w, at + 20);
                FloatVector s0 = Vec.toFloat(Vec.low(q0).sub(8)).mul(FloatVector.fromArray(F, x, xb));
                FloatVector s1 = Vec.toFloat(Vec.low(q1).sub(8)).mul(FloatVector.fromArray(F, x, xb + 32));
                s0 = Vec.toFloat(Vec.high(q0).sub(8)).fma(FloatVector.fromArray(F, x, xb + 16), s0);
                s1 = Vec.toFloat(Vec.high(q1).sub(8)).fma(FloatVector.fromArray(F, x, xb + 48), s1);
                acc0 = Vec.fma(s0, Vec.half(w, at), acc0);
                acc1 = Vec.fma(s1, Vec.half(w, at + 18), acc1);
            }
            if (b < blocks) {
                long at = offset + 18L * b;
                int xb = xo + 32 * b;
                IntVector q = Vec.ints(w, at + 2);
                FloatVector s = Vec.toFloat(Vec.low(q).sub(8)).mul(FloatVector.fromArray(F, x, xb));
                s = Vec.toFloat(Vec.high(q).sub(8)).fma(FloatVector.fromArray(F, x, xb + 16), s);
                acc0 = Vec.fma(s, Vec.half(w, at), acc0);
            }
            return Vec.sum(acc0.add(acc1));
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
