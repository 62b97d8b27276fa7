package dev.mica.gguf;

/**
 * Conversions and reference quantizers, bit-exact with ggml's C reference code
 * ({@code ggml_compute_fp32_to_fp16}, {@code GGML_FP32_TO_BF16}, {@code quantize_row_q8_0_ref},
 * {@code quantize_row_q4_0_ref} in {@code ggml/src/ggml-impl.h} and {@code ggml-quants.c}), and the
 * matching dequantizers.
 *
 * <p>Block layouts (little endian): Q8_0 = fp16 scale d, then 32 signed bytes q (x = d·q);
 * Q4_0 = fp16 scale d, then 16 bytes whose low nibbles hold elements 0..15 and high nibbles
 * elements 16..31 (x = d·(q − 8)).
 */
public final class GgmlQuants {
    public static final int QK8_0 = 32;
    public static final int QK4_0 = 32;

    private GgmlQuants() {}

    // ------------------------------------------------------------ half precision

    /**
     * float → IEEE half, ggml's {@code ggml_compute_fp32_to_fp16} (round to nearest even; every NaN
     * becomes the quiet NaN 0x7E00 with the sign kept).
     */
    public static short fp32ToFp16(float f) {
        final float scaleToInf = 0x1.0p+112f;
        final float scaleToZero = 0x1.0p-110f;
        float base = (Math.abs(f) * scaleToInf) * scaleToZero;
        int w = Float.floatToRawIntBits(f);
        int shl1w = w + w;
        int sign = w & 0x80000000;
        int bias = shl1w & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) bias = 0x71000000;
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int bits = Float.floatToRawIntBits(base);
        int expBits = (bits >>> 13) & 0x00007C00;
        int mantissaBits = bits & 0x00000FFF;
        int nonsign = expBits + mantissaBits;
        return (short) ((sign >>> 16) | (Integer.compareUnsigned(shl1w, 0xFF000000) > 0 ? 0x7E00 : nonsign));
    }

    /** float → half quickly (the JDK's intrinsic), identical to {@link #fp32ToFp16(float)}. */
    public static short fp32ToFp16Fast(float f) {
        if (Float.isNaN(f)) return (short) (((Float.floatToRawIntBits(f) >>> 16) & 0x8000) | 0x7E00);
        return Float.floatToFloat16(f);
    }

    /** IEEE half → float (exact). */
    public static float fp16ToFp32(short h) {
        return Float.float16ToFloat(h);
    }

    /** float → bfloat16, ggml's {@code ggml_compute_fp32_to_bf16} (round to nearest even, NaNs made quiet). */
    public static short fp32ToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** bfloat16 → float (exact). */
    public static float bf16ToFp32(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    // ------------------------------------------------------------ Q8_0

    /** C's roundf: halves away from zero. */
    private static float roundf(float x) {
        float a = Math.round(Math.abs(x)); // floor(|x| + 1/2), exact
        return x < 0 ? -a : a;
    }

    /**
     * {@code quantize_row_q8_0_ref}: quantizes {@code k} floats from {@code x[xOff..]} (k a multiple of 32)
     * into {@code k/32} blocks of 34 bytes at {@code y[yOff..]}.
     */
    public static void quantizeRowQ8_0(float[] x, int xOff, int k, byte[] y, int yOff) {
        if (k % QK8_0 != 0) throw new IllegalArgumentException("Q8_0: row of " + k + " is not a multiple of 32");
        int nb = k / QK8_0;
        for (int i = 0; i < nb; i++) {
            int xb = xOff + i * QK8_0;
            int yb = yOff + i * 34;
            float amax = 0.0f;
            for (int j = 0; j < QK8_0; j++) {
                float v = Math.abs(x[xb + j]);
                amax = amax > v ? amax : v;   // MAX(amax, fabsf(v))
            }
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            short h = fp32ToFp16(d);
            y[yb] = (byte) h;
            y[yb + 1] = (byte) (h >>> 8);
            for (int j = 0; j < QK8_0; j++) {
                float x0 = x[xb + j] * id;
                y[yb + 2 + j] = (byte) (int) roundf(x0);
            }
        }
    }

    /** {@code dequantize_row_q8_0}: {@code k/32} blocks at {@code y[yOff..]} → {@code k} floats. */
    public static void dequantizeRowQ8_0(byte[] y, int yOff, int k, float[] x, int xOff) {
        for (int i = 0; i < k / QK8_0; i++) {
            int yb = yOff + i * 34;
            float d = fp16ToFp32((short) ((y[yb] & 0xFF) | (y[yb + 1] << 8)));
            for (int j = 0; j < QK8_0; j++) x[xOff + i * QK8_0 + j] = y[yb + 2 + j] * d;
        }
    }

    // ------------------------------------------------------------ Q4_0

    /**
     * {@code quantize_row_q4_0_ref}: quantizes {@code k} floats from {@code x[xOff..]} (k a multiple of 32)
     * into {@code k/32} blocks of 18 bytes at {@code y[yOff..]}.
     */
    public static void quantizeRowQ4_0(float[] x, int xOff, int k, byte[] y, int yOff) {
        if (k % QK4_0 != 0) throw new IllegalArgumentException("Q4_0: row of " + k + " is not a multiple of 32");
        int nb = k / QK4_0;
        for (int i = 0; i < nb; i++) {
            int xb = xOff + i * QK4_0;
            int yb = yOff + i * 18;
            float amax = 0.0f;
            float max = 0.0f;
            for (int j = 0; j < QK4_0; j++) {
                float v = x[xb + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            short h = fp32ToFp16(d);
            y[yb] = (byte) h;
            y[yb + 1] = (byte) (h >>> 8);
            for (int j = 0; j < QK4_0 / 2; j++) {
                float x0 = x[xb + j] * id;
                float x1 = x[xb + QK4_0 / 2 + j] * id;
                int xi0 = Math.min(15, (byte) (int) (x0 + 8.5f));  // MIN(15, (int8_t)(x0 + 8.5f))
                int xi1 = Math.min(15, (byte) (int) (x1 + 8.5f));
                y[yb + 2 + j] = (byte) (xi0 | (xi1 << 4));
            }
        }
    }

    /** {@code dequantize_row_q4_0}: {@code k/32} blocks at {@code y[yOff..]} → {@code k} floats. */
    public static void dequantizeRowQ4_0(byte[] y, int yOff, int k, float[] x, int xOff) {
        for (int i = 0; i < k / QK4_0; i++) {
            int yb = yOff + i * 18;
            float d = fp16ToFp32((short) ((y[yb] & 0xFF) | (y[yb + 1] << 8)));
            for (int j = 0; j < QK4_0 / 2; j++) {
                int q = y[yb + 2 + j] & 0xFF;
                x[xOff + i * QK4_0 + j] = ((q & 0x0F) - 8) * d;
                x[xOff + i * QK4_0 + j + QK4_0 / 2] = ((q >>> 4) - 8) * d;
            }
        }
    }
}
