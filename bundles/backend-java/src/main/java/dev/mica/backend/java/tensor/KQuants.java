package dev.mica.backend.java.tensor;

import static dev.mica.backend.java.tensor.Vec.F;
import static dev.mica.backend.java.tensor.Vec.L;

import dev.mica.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** llama.cpp's K-quants of 256-element super-blocks: Q4_K and Q6_K. */
final class KQuants {
    private KQuants() {}

    private static int u8(MemorySegment w, long at) {
        return w.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /**
     * 144 bytes per 256: fp16 d and dmin, 12 bytes packing eight 6-bit scales and mins, then 128
     * bytes of nibbles. Each 64 elements use 32 bytes: low nibbles are the first 32 (sub-block 2j),
     * high nibbles the next 32 (sub-block 2j+1); x = d·scale·q − dmin·min.
     */
    static final class Q4_K extends WeightFormat {
        Q4_K() {
            super(GgmlType.Q4_K);
        }

        /** ggml's {@code get_scale_min_k4}: scale (low 16 bits) and min (high 16) of sub-block j. */
        static int scaleMin(MemorySegment w, long scales, int j) {
            int sc, m;
            if (j < 4) {
                sc = u8(w, scales + j) & 63;
                m = u8(w, scales + j + 4) & 63;
            } else {
                sc = (u8(w, scales + j + 4) & 0xF) | ((u8(w, scales + j - 4) >>> 6) << 4);
                m = (u8(w, scales + j + 4) >>> 4) | ((u8(w, scales + j) >>> 6) << 4);
            }
            return sc | (m << 16);
        }

        @Override
        public void reference(MemorySegment w, long offset, float[] y, int yo, int n) {
            for (int b = 0; b < n / 256; b++) {
                long at = offset + 144L * b;
                float d = Vec.half(w, at), min = Vec.half(w, at + 2);
                for (int j = 0; j < 4; j++) {
                    int sm1 = scaleMin(w, at + 4, 2 * j), sm2 = scaleMin(w, at + 4, 2 * j + 1);
                    float d1 = d * (sm1 & 0xFFFF), m1 = min * (sm1 >>> 16);
                    float d2 = d * (sm2 & 0xFFFF), m2 = min * (sm2 >>> 16);
                    long q = at + 16 + 32L * j;
                    int ys = yo + 256 * b + 64 * j;
                    for (int l = 0; l < 32; l++) {
                        int v = u8(w, q + l);
                        y[ys + l] = d1 * (v & 0xF) - m1;
                        y[ys + 32 + l] = d2 * (v >>> 4) - m2;
                    }
                }
            }
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] y, int yo, int n) {
            if (!Vec.ENABLED) {
                reference(w, offset, y, yo, n);
                return;
            }
            for (int b = 0; b < n / 256; b++) {
                long at = offset + 144L * b;
                float d = Vec.half(w, at), min = Vec.half(w, at + 2);
                for (int j = 0; j < 4; j++) {
                    int sm1 = scaleMin(w, at + 4, 2 * j), sm2 = scaleMin(w, at + 4, 2 * j + 1);
                    float d1 = d * (sm1 & 0xFFFF), m1 = min * (sm1 >>> 16);
                    float d2 = d * (sm2 & 0xFFFF), m2 = min * (sm2 >>> 16);
                    long q = at + 16 + 32L * j;
                    int ys = yo + 256 * b + 64 * j;
                    for (int l = 0; l < 32; l += L) {
                        IntVector v = Vec.ints(w, q + l);
                        Vec.toFloat(Vec.low(v)).mul(d1).sub(m1).intoArray(y, ys + l);
                        Vec.toFloat(Vec.high(v)).mul(d2).sub(m2).intoArray(y, ys + 32 + l);
                    }
                }
            }
        }

        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xo, int n) {
            if (!Vec.ENABLED) return super.dot(w, offset, x, xo, n);
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < n / 256; b++) {
                long at = offset + 144L * b;
                float d = Vec.half(w, at), min = Vec.half(w, at + 2);
                for (int j = 0; j < 4; j++) {
                    int sm1 = scaleMin(w, at + 4, 2 * j), sm2 = scaleMin(w, at + 4, 2 * j + 1);
                    long q = at + 16 + 32L * j;
                    int xs = xo + 256 * b + 64 * j;
                    // Σ (d1·q − m1)·x = d1·Σ q·x − m1·Σ x, per half
                    FloatVector qxLo = FloatVector.zero(F), qxHi = FloatVector.zero(F);
                    FloatVector xLo = FloatVector.zero(F), xHi = FloatVector.zero(F);
                    for (int l = 0; l < 32; l += L) {
                        IntVector v = Vec.ints(w, q + l);
                        FloatVector a = FloatVector.fromArray(F, x, xs + l);
                        FloatVector c = FloatVector.fromArray(F, x, xs + 32 + l);
                        qxLo = Vec.toFloat(Vec.low(v)).fma(a, qxLo);
                        qxHi = Vec.toFloat(Vec.high(v)).fma(c, qxHi);
                        xLo = xLo.add(a);
                        xHi = xHi.add(c);
                    }
                    acc = Vec.fma(qxLo, d * (sm1 & 0xFFFF), acc);
                    acc = Vec.fma(xLo, -min * (sm1 >>> 16), acc);
                    acc = Vec.fma(qxHi, d * (sm2 & 0xFFFF), acc);
                    acc = Vec.fma(xHi, -min * (sm2 >>> 16), acc);
                }
            }
            return Vec.sum(acc);
        }
    }

    /**
     * 210 bytes per 256: 128 bytes of low nibbles (ql), 64 bytes of 2-bit high parts (qh), 16
     * signed 8-bit scales (one per 16 elements), fp16 d; x = d·scale·(q − 32). Each half of 128
     * elements uses 64 ql bytes and 32 qh bytes: element l, l+32, l+64, l+96 (l < 32) take the low
     * nibble of ql[l], of ql[l+32], the high nibble of ql[l], of ql[l+32], with bits 0-1, 2-3, 4-5,
     * 6-7 of qh[l] on top.
     */
    static final class Q6_K extends WeightFormat {
        Q6_K() {
            super(GgmlType.Q6_K);
        }

        @Override
        public void reference(MemorySegment w, long offset, float[] y, int yo, int n) {
            for (int b = 0; b < n / 256; b++) {
                long at = offset + 210L * b;
                float d = Vec.half(w, at + 208);
                for (int half = 0; half < 2; half++) {
                    long ql = at + 64L * half, qh = at + 128 + 32L * half, sc = at + 192 + 8L * half;
                    int ys = yo + 256 * b + 128 * half;
                    for (int l = 0; l < 32; l++) {
                        int is = l / 16;
                        int a = u8(w, ql + l), c = u8(w, ql + l + 32), h = u8(w, qh + l);
                        int q1 = ((a & 0xF) | ((h & 3) << 4)) - 32;
                        int q2 = ((c & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                        int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                        int q4 = ((c >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                        y[ys + l] = d * w.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                        y[ys + l + 32] = d * w.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                        y[ys + l + 64] = d * w.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                        y[ys + l + 96] = d * w.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                    }
                }
            }
        }

        /** The four 6-bit values of elements l, l+32, l+64, l+96 of a half block, centred, in int lanes. */
        private static IntVector[] unpack(MemorySegment w, long ql, long qh, int l) {
            IntVector a = Vec.ints(w, ql + l), c = Vec.ints(w, ql + 32 + l), h = Vec.ints(w, qh + l);
            return new IntVector[] {
                Vec.low(a).or(h.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32),
                Vec.low(c).or(h.lanewise(VectorOperators.ASHR, 2).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32),
                Vec.high(a).or(h.lanewise(VectorOperators.ASHR, 4).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32),
                Vec.high(c).or(h.lanewise(VectorOperators.ASHR, 6).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)};
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] y, int yo, int n) {
            if (!Vec.ENABLED) {
                reference(w, offset, y, yo, n);
                return;
            }
            for (int b = 0; b < n / 256; b++) {
                long at = offset + 210L * b;
                float d = Vec.half(w, at + 208);
                for (int half = 0; half < 2; half++) {
                    long ql = at + 64L * half, qh = at + 128 + 32L * half, sc = at + 192 + 8L * half;
                    int ys = yo + 256 * b + 128 * half;
                    for (int l = 0; l < 32; l += L) {
                        int is = l / 16;
                        IntVector[] q = unpack(w, ql, qh, l);
                        for (int k = 0; k < 4; k++) {
                            Vec.toFloat(q[k]).mul(d * w.get(ValueLayout.JAVA_BYTE, sc + is + 2L * k)).intoArray(y, ys + l + 32 * k);
                        }
                    }
                }
            }
        }

        @Override
        public float dot(MemorySegment w, long offset, float[] x, int xo, int n) {
            if (!Vec.ENABLED) return super.dot(w, offset, x, xo, n);
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < n / 256; b++) {
                long at = offset + 210L * b;
                float d = Vec.half(w, at + 208);
                for (int half = 0; half < 2; half++) {
                    long ql = at + 64L * half, qh = at + 128 + 32L * half, sc = at + 192 + 8L * half;
                    int xs = xo + 256 * b + 128 * half;
                    for (int l = 0; l < 32; l += L) {
                        int is = l / 16;
                        IntVector[] q = unpack(w, ql, qh, l);
                        for (int k = 0; k < 4; k++) {
                            FloatVector qx = Vec.toFloat(q[k]).mul(FloatVector.fromArray(F, x, xs + l + 32 * k));
                            acc = Vec.fma(qx, d * w.get(ValueLayout.JAVA_BYTE, sc + is + 2L * k), acc);
                        }
                    }
                }
            }
            return Vec.sum(acc);
        }
    }
}
