package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.mlx.MlxQuantization.Type;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Java quantizer's arithmetic and bit layout, on cases small enough to work out by hand. */
class MlxQuantizationTest {
    @Test
    void affineInt4OfARamp() {
        float[] w = new float[64];
        for (int i = 0; i < 64; i++) w[i] = i;
        int[] words = new int[8];
        float[] s = new float[1], b = new float[1];
        MlxQuantization.affine(w, 64, 4, 64, words, s, b);
        // max 63 has the larger magnitude: scale −63/15, bias 63, so q = rint((63 − w) / 4.2)
        assertEquals(-4.2f, s[0]);
        assertEquals(63f, b[0]);
        // w = 0..7 → 15, 15, 15, 14, 14, 14, 14, 13, low nibble first
        assertEquals(0xDEEEEFFF, words[0]);
        // w = 56..63 → 2, 1, 1, 1, 1, 0, 0, 0 (rint(7/4.2) = 2, rint(3/4.2) = 1, rint(2/4.2) = 0)
        assertEquals(0x00011112, words[7]);
    }

    @Test
    void affineInt8OfAGroupWithALargerNegativeExtreme() {
        float[] w = new float[64];
        w[0] = -2.55f;
        w[1] = 1f;
        int[] words = new int[16];
        float[] s = new float[1], b = new float[1];
        MlxQuantization.affine(w, 64, 8, 64, words, s, b);
        float scale = (1f - -2.55f) / 255f;
        float q0 = (float) Math.rint(-2.55f / scale);
        assertEquals(-2.55f / q0, s[0], "the minimum is exactly representable: scale = edge / rint(edge / scale)");
        assertEquals(-2.55f, b[0]);
        assertEquals(0, words[0] & 0xFF, "the edge is code 0");
        int zero = (int) Math.rint((0 - -2.55f) / s[0]);
        assertEquals(zero, (words[0] >>> 16) & 0xFF, "w[2] = 0");
    }

    @Test
    void mxfp4OfAHandMadeGroup() {
        float[] w = new float[32];
        float[] head = {6f, -3f, 0.5f, 0.25f, 0.75f, -0.1f};
        System.arraycopy(head, 0, w, 0, head.length);
        int[] words = new int[4];
        byte[] scales = new byte[1];
        MlxQuantization.fp(w, 32, Type.MXFP4, words, scales);
        assertEquals(127, scales[0] & 0xFF, "max 6 is E2M1's largest: scale 2^0");
        // 6 → 7, −3 → 13, 0.5 → 1, ties go to the first in MLX's table: 0.25 → +0 (0), 0.75 → 0.5 (1), −0.1 → +0 (0)
        assertEquals(0x000101D7, words[0]);
        assertEquals(0, words[1]);
    }

    @Test
    void nvfp4OfAHandMadeGroup() {
        float[] w = new float[16];
        w[0] = 12f;
        w[1] = -1f;
        w[2] = 3f;
        int[] words = new int[2];
        byte[] scales = new byte[1];
        MlxQuantization.fp(w, 16, Type.NVFP4, words, scales);
        assertEquals(0x40, scales[0] & 0xFF, "12 / 6 = 2.0 in E4M3");
        assertEquals(7 | 9 << 4 | 3 << 8, words[0]);   // 6, −0.5, 1.5
    }

    @Test
    void mxfp8OfAHandMadeGroup() {
        float[] w = new float[32];
        w[0] = 1792f;
        w[1] = 1f;
        w[2] = -2f;
        int[] words = new int[8];
        byte[] scales = new byte[1];
        MlxQuantization.fp(w, 32, Type.MXFP8, words, scales);
        assertEquals(129, scales[0] & 0xFF, "1792 / 448 = 2^2");
        assertEquals(0x00B0287E, words[0]);   // 448, 0.25, −0.5 as E4M3 bytes, first in the low byte
    }

    @Test
    void fp8Conversions() {
        assertEquals(0x7E, MlxQuantization.toFp8(448f));
        assertEquals(0x7E, MlxQuantization.toFp8(10000f), "saturates");
        assertEquals(0xFE, MlxQuantization.toFp8(-10000f));
        assertEquals(0x38, MlxQuantization.toFp8(1f));
        assertEquals(0x01, MlxQuantization.toFp8(0x1p-9f), "the smallest subnormal");
        assertEquals(0x00, MlxQuantization.toFp8(0x1p-10f), "half of it rounds to even: zero");
        assertEquals(0x80, MlxQuantization.toFp8(-0f));
        assertEquals(0x3C, MlxQuantization.toFp8(1.5f));
        assertEquals(0x38, MlxQuantization.toFp8(1.0625f), "halfway between 1 and 1.125 rounds to the even 1");
        for (int c = 0; c < 256; c++) {
            if ((c & 0x7F) == 0x7F) continue;   // E4M3's NaN, which MLX reads as 480
            assertEquals(c, MlxQuantization.toFp8(MlxQuantization.fromFp8(c)), "code " + c);
        }
    }

    /**
     * Round trips of a random matrix: within each format's error, and affine within one step of
     * every value (half a step from rounding, and MLX's choice of an exactly representable edge can
     * shrink the range so the far end clamps by up to half a step more).
     */
    @ParameterizedTest
    @EnumSource(Type.class)
    void roundTripsStayWithinTheFormatsError(Type t) {
        int rows = 16, cols = 256, n = rows * cols;
        SplittableRandom r = new SplittableRandom(t.ordinal());
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (r.nextGaussian() * 0.05 * (1 + i / cols));
        int[] words = new int[n * t.bits / 32];
        float[] s = new float[n / t.group], b = new float[n / t.group];
        byte[] codes = new byte[n / t.group];
        if (t.affine()) MlxQuantization.affine(w, n, t.bits, t.group, words, s, b);
        else MlxQuantization.fp(w, n, t, words, codes);
        float[] d = MlxQuantization.dequantize(words, s, b, codes, rows, cols, t);
        double worst = 0, max = 0;
        for (int i = 0; i < n; i++) {
            worst = Math.max(worst, Math.abs(d[i] - w[i]));
            max = Math.max(max, Math.abs(w[i]));
            if (t.affine()) {
                float step = Math.abs(s[i / t.group]);
                assertTrue(Math.abs(d[i] - w[i]) <= step * 1.0001 + 1e-7, "element " + i + ": " + w[i] + " → " + d[i] + ", step " + step);
            }
        }
        double bound = switch (t) {
            case INT8 -> 0.005;
            case INT4 -> 0.08;
            default -> 0.3;   // E4M3 under a power-of-two scale saturates: MLX's own measured 0.19 to 0.25
        };
        assertTrue(worst / max < bound, t + ": error " + worst / max + " of max |w|");
    }
}
