package dev.mica.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GgmlQuantsTest {

    @Test
    void q4_0HandComputedBlock() {
        // x_j = j - 16: the largest magnitude is x_0 = -16, so d = -16 / -8 = 2, 1/d = 0.5,
        // q_j = min(15, (int)((j - 16) * 0.5 + 8.5)) = min(15, ceil(j / 2))
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j - 16;
        byte[] y = new byte[18];
        GgmlQuants.quantizeRowQ4_0(x, 0, 32, y, 0);
        byte[] expected = new byte[18];
        expected[0] = 0x00;
        expected[1] = 0x40;               // fp16 2.0 = 0x4000, little endian
        int[] q = new int[32];
        for (int j = 0; j < 32; j++) q[j] = Math.min(15, (j + 1) / 2);
        for (int j = 0; j < 16; j++) expected[2 + j] = (byte) (q[j] | q[j + 16] << 4);
        assertArrayEquals(expected, y);
        // written out for the first bytes: q = 0,1,1,2,... and 8,9,9,10,...
        assertEquals((byte) 0x80, y[2]);
        assertEquals((byte) 0x91, y[3]);
        assertEquals((byte) 0xF8, y[17]); // q_15 = 8, q_31 = min(15, 16) = 15

        // the same magnitudes with the maximum positive: d = 16 / -8 = -2 (fp16 0xC000), same nibbles
        for (int j = 0; j < 32; j++) x[j] = 16 - j;
        GgmlQuants.quantizeRowQ4_0(x, 0, 32, y, 0);
        expected[1] = (byte) 0xC0;
        assertArrayEquals(expected, y);

        float[] back = new float[32];
        GgmlQuants.dequantizeRowQ4_0(y, 0, 32, back, 0);
        for (int j = 0; j < 32; j++) assertEquals((q[j] - 8) * -2f, back[j]);
    }

    @Test
    void q8_0HandComputedBlock() {
        // amax = 127 gives d = 1 exactly (fp16 0x3C00) and q = roundf(x), halves away from zero
        float[] x = {127f, -3.4f, 2.5f, -2.5f, 0.49f, -0.5f, 0.5f, 100.5f, -126.6f, 0f, 1.49999f, 7f,
                     -127f, 63.5f, -63.5f, 12.25f, 0.75f, -0.75f, 1f, -1f, 2f, -2f, 3.5f, -3.5f,
                     10f, 20f, 30f, 40f, 50f, 60f, 70f, 80f};
        byte[] y = new byte[34];
        GgmlQuants.quantizeRowQ8_0(x, 0, 32, y, 0);
        int[] q = {127, -3, 3, -3, 0, -1, 1, 101, -127, 0, 1, 7,
                   -127, 64, -64, 12, 1, -1, 1, -1, 2, -2, 4, -4,
                   10, 20, 30, 40, 50, 60, 70, 80};
        assertEquals(0x00, y[0] & 0xFF);
        assertEquals(0x3C, y[1] & 0xFF);
        for (int j = 0; j < 32; j++) assertEquals(q[j], y[2 + j], "element " + j);

        // an all-zero block: d = 0, every q = 0
        GgmlQuants.quantizeRowQ8_0(new float[32], 0, 32, y, 0);
        assertArrayEquals(new byte[34], y);
    }

    @Test
    void fp16MatchesGgmlAlgorithmOnManyValues() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 2_000_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            assertEquals(GgmlQuants.fp32ToFp16(f), GgmlQuants.fp32ToFp16Fast(f), () -> "for " + f);
        }
        for (float f : new float[] {0f, -0f, 65504f, 65520f, 65519.99f, 1e-8f, 5.9604645E-8f, 2.9802322E-8f, 2.9802326E-8f,
                Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -Float.NaN}) {
            assertEquals(GgmlQuants.fp32ToFp16(f), GgmlQuants.fp32ToFp16Fast(f), () -> "for " + f);
        }
        assertEquals((short) 0x7E00, GgmlQuants.fp32ToFp16(Float.NaN));
        assertEquals((short) 0x3C00, GgmlQuants.fp32ToFp16(1f));
        assertEquals((short) 0x3F80, GgmlQuants.fp32ToBf16(1f));
    }

    /** Bytes made by ggml's own C reference functions (see the resource's first line). */
    @Test
    void bitExactWithGgmlReference() throws IOException {
        Map<String, String> lines = new HashMap<>();
        try (InputStream in = getClass().getResourceAsStream("ggml-golden.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("#") || line.isBlank()) continue;
                int sp = line.indexOf(' ');
                lines.put(line.substring(0, sp), line.substring(sp + 1).trim());
            }
        }
        String[] words = lines.get("f32").split(" ");
        float[] x = new float[words.length];
        for (int i = 0; i < x.length; i++) x[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(words[i], 16));
        HexFormat hex = HexFormat.of();

        byte[] q8 = new byte[x.length / 32 * 34];
        GgmlQuants.quantizeRowQ8_0(x, 0, x.length, q8, 0);
        assertEquals(lines.get("q8_0"), hex.formatHex(q8));

        byte[] q4 = new byte[x.length / 32 * 18];
        GgmlQuants.quantizeRowQ4_0(x, 0, x.length, q4, 0);
        assertEquals(lines.get("q4_0"), hex.formatHex(q4));

        String[] h = lines.get("f16").split(" ");
        for (int i = 0; i < x.length; i++) {
            assertEquals(Integer.parseInt(h[i], 16), GgmlQuants.fp32ToFp16(x[i]) & 0xFFFF, "f16 of element " + i);
        }
    }

    @Test
    void roundTripErrorIsBounded() {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 0.05);
        byte[] q8 = new byte[x.length / 32 * 34], q4 = new byte[x.length / 32 * 18];
        float[] b8 = new float[x.length], b4 = new float[x.length];
        GgmlQuants.quantizeRowQ8_0(x, 0, x.length, q8, 0);
        GgmlQuants.quantizeRowQ4_0(x, 0, x.length, q4, 0);
        GgmlQuants.dequantizeRowQ8_0(q8, 0, x.length, b8, 0);
        GgmlQuants.dequantizeRowQ4_0(q4, 0, x.length, b4, 0);
        for (int blk = 0; blk < x.length / 32; blk++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
            for (int j = 0; j < 32; j++) {
                int i = blk * 32 + j;
                assertTrue(Math.abs(x[i] - b8[i]) <= amax / 127 * 0.57f + 1e-6f  /* half a step, plus the fp16 rounding of d */, "q8 " + i);
                assertTrue(Math.abs(x[i] - b4[i]) <= amax / 8 * 1.01f + 1e-6f, "q4 " + i);
            }
        }
    }
}
