package dev.mica.mlx;

import java.util.Locale;

/**
 * MLX's quantization formats computed in Java, so a model is quantized on import without MLX: the
 * same arithmetic as MLX's CPU code ({@code mlx/backend/cpu/quantized.cpp} for affine,
 * {@code fp_quantize} in {@code mlx/ops.cpp} for the floating-point modes), so the packed words and
 * scales are the ones {@code mlx_quantize} gives a float32 matrix. Values are packed along a row
 * into uint32 words, low bits first.
 */
final class MlxQuantization {
    private MlxQuantization() {}

    /** A {@code mica create -q} type: MLX's mode, bits and group size, as mlx-lm's defaults for it. */
    enum Type {
        INT4("affine", 4, 64), INT8("affine", 8, 64), NVFP4("nvfp4", 4, 16), MXFP4("mxfp4", 4, 32), MXFP8("mxfp8", 8, 32);

        final String mode;
        final int bits, group;

        Type(String mode, int bits, int group) {
            this.mode = mode;
            this.bits = bits;
            this.group = group;
        }

        boolean affine() {
            return mode.equals("affine");
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Type of(String name) {
            for (Type t : values()) {
                if (t.label().equalsIgnoreCase(name)) return t;
            }
            throw new IllegalArgumentException("unknown MLX quantization type '" + name + "'");
        }
    }

    /**
     * Affine: per group a scale and bias so the group's extreme of larger magnitude is exactly
     * representable, and {@code q = clamp(rint((w - bias) / scale), 0, 2^bits - 1)}. {@code w}
     * holds whole groups; scales and biases are as computed (float), before the cast to the
     * weight's dtype that MLX stores.
     */
    static void affine(float[] w, int n, int bits, int group, int[] words, float[] scales, float[] biases) {
        float bins = (1 << bits) - 1;
        int perWord = 32 / bits;
        for (int g = 0; g < n / group; g++) {
            int at = g * group;
            float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < group; j++) {
                max = Math.max(max, w[at + j]);
                min = Math.min(min, w[at + j]);
            }
            boolean mask = Math.abs(min) > Math.abs(max);
            float scale = Math.max((max - min) / bins, 1e-7f);
            scale = mask ? scale : -scale;
            float edge = mask ? min : max;
            float q0 = (float) Math.rint(edge / scale);
            float bias = 0;
            if (q0 != 0) {
                scale = edge / q0;
                bias = edge;
            }
            for (int k = 0; k < group / perWord; k++) {
                int word = 0;
                for (int e = 0; e < perWord; e++) {
                    float v = (float) Math.rint((w[at + k * perWord + e] - bias) / scale);
                    v = Math.min(Math.max(v, 0f), bins);
                    word |= ((int) v) << (e * bits);
                }
                words[at / perWord + k] = word;
            }
            scales[g] = scale;
            biases[g] = bias;
        }
    }

    private static final float[] FP4 = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f};

    /**
     * mxfp4, mxfp8 (power-of-two E8M0 scale per 32) and nvfp4 (E4M3 scale per 16): the scale
     * maps the group's largest magnitude to the element format's largest value (6 or 448);
     * elements are E2M1 (nearest, first of ties, as MLX's argmin) or E4M3.
     */
    static void fp(float[] w, int n, Type t, int[] words, byte[] scales) {
        float maxval = t.bits == 4 ? 6f : 448f;
        int perWord = 32 / t.bits;
        float[] q = new float[t.group];
        for (int g = 0; g < n / t.group; g++) {
            int at = g * t.group;
            float amax = 0;
            for (int j = 0; j < t.group; j++) amax = Math.max(amax, Math.abs(w[at + j]));
            float scale = amax / maxval;
            if (t.group == 16) {
                int code = toFp8(scale);
                float s = fromFp8(code);
                for (int j = 0; j < t.group; j++) q[j] = w[at + j] / s;
                scales[g] = (byte) code;
            } else {
                int e = scale == 0 ? 0 : (int) Math.rint((float) (Math.log(scale) / Math.log(2)));
                float p = (float) Math.scalb(1.0, e);
                for (int j = 0; j < t.group; j++) q[j] = w[at + j] / p;
                scales[g] = (byte) Math.min(Math.max(e + 127, 0), 255);
            }
            for (int k = 0; k < t.group / perWord; k++) {
                int word = 0;
                for (int e = 0; e < perWord; e++) {
                    float v = q[k * perWord + e];
                    int code = t.bits == 8 ? toFp8(v) : nearestFp4(v);
                    word |= code << (e * t.bits);
                }
                words[at / perWord + k] = word;
            }
        }
    }

    private static int nearestFp4(float v) {
        int best = 0;
        float bestDistance = Math.abs(v - FP4[0]);
        for (int i = 1; i < 16; i++) {
            float d = Math.abs(v - FP4[i]);
            if (d < bestDistance) {
                best = i;
                bestDistance = d;
            }
        }
        return best;
    }

    /** MLX's float → FP8 E4M3 (round to nearest even, saturating at ±448, no infinities). */
    static int toFp8(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = bits & 0x80000000;
        bits ^= sign;
        int result;
        if (bits >= (543 << 21)) {
            result = 0x7E;
        } else if (bits < (121 << 23)) {
            int denorm = 141 << 23;
            int low = Float.floatToRawIntBits(Float.intBitsToFloat(bits) + Float.intBitsToFloat(denorm));
            result = (low - denorm) & 0xFF;
        } else {
            int mantOdd = (bits >>> 20) & 1;
            int high = bits + (((7 - 127) << 23) + 0x7FFFF) + mantOdd;
            result = (high >>> 20) & 0xFF;
        }
        return result | (sign >>> 24);
    }

    /** MLX's FP8 E4M3 → float (through float16, as MLX does: 0x7F reads as 480). */
    static float fromFp8(int code) {
        float v = Float.float16ToFloat((short) ((code & 127) << 7)) * 256f;
        return (code & 128) != 0 ? -v : v;
    }

    /** float → bfloat16 bits, rounding to nearest even, as MLX's cast. */
    static short bf16(float f) {
        int b = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) 0x7FC0;
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    /** The reference decoding of packed values: element j of a row is bits [j·b, (j+1)·b) of the row's words. */
    static float[] dequantize(int[] words, float[] scales, float[] biases, byte[] scaleCodes, int rows, int cols, Type t) {
        float[] out = new float[rows * cols];
        int perRow = cols * t.bits / 32, groups = cols / t.group;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int bit = j * t.bits;
                int v = (words[r * perRow + (bit >>> 5)] >>> (bit & 31)) & ((1 << t.bits) - 1);
                int g = r * groups + j / t.group;
                out[r * cols + j] = switch (t) {
                    case INT4, INT8 -> scales[g] * v + biases[g];
                    case MXFP4 -> e8m0(scaleCodes[g]) * FP4[v];
                    case MXFP8 -> e8m0(scaleCodes[g]) * fromFp8(v);
                    case NVFP4 -> fromFp8(scaleCodes[g] & 0xFF) * FP4[v];
                };
            }
        }
        return out;
    }

    static float e8m0(byte code) {
        int e = code & 0xFF;
        return e == 255 ? Float.NaN : (float) Math.scalb(1.0, e - 127);
    }
}
