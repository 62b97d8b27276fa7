package dev.mica.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class GgmlTypeTest {

    /** id, ggml name, block size, type size: printed by ggml_blck_size/ggml_type_size of libggml-base (de3ff81). */
    private static final String TABLE = """
            0 f32 1 4
            1 f16 1 2
            2 q4_0 32 18
            3 q4_1 32 20
            6 q5_0 32 22
            7 q5_1 32 24
            8 q8_0 32 34
            9 q8_1 32 36
            10 q2_K 256 84
            11 q3_K 256 110
            12 q4_K 256 144
            13 q5_K 256 176
            14 q6_K 256 210
            15 q8_K 256 292
            16 iq2_xxs 256 66
            17 iq2_xs 256 74
            18 iq3_xxs 256 98
            19 iq1_s 256 50
            20 iq4_nl 32 18
            21 iq3_s 256 110
            22 iq2_s 256 82
            23 iq4_xs 256 136
            24 i8 1 1
            25 i16 1 2
            26 i32 1 4
            27 i64 1 8
            28 f64 1 8
            29 iq1_m 256 56
            30 bf16 1 2
            34 tq1_0 256 54
            35 tq2_0 256 66
            39 mxfp4 32 17
            40 nvfp4 64 36
            41 q1_0 128 18
            42 q2_0 64 18
            """;

    @Test
    void matchesGgmlTypeTraits() {
        int n = 0;
        for (String line : TABLE.strip().split("\n")) {
            String[] f = line.trim().split(" ");
            GgmlType t = GgmlType.byId(Integer.parseInt(f[0]));
            assertEquals(f[1], t.ggmlName(), line);
            assertEquals(Integer.parseInt(f[2]), t.blockSize(), line);
            assertEquals(Integer.parseInt(f[3]), t.typeSize(), line);
            n++;
        }
        assertEquals(GgmlType.values().length, n);
        for (int removed : new int[] {4, 5, 31, 32, 33, 36, 37, 38, 43, -1, 1000}) assertNull(GgmlType.byId(removed));
    }

    @Test
    void byteSizes() {
        assertEquals(64L * 512 * 4, GgmlType.F32.byteSize(64, 512));
        assertEquals(2048L / 256 * 144 * 8192, GgmlType.Q4_K.byteSize(2048, 8192));
        assertEquals(172L * 4 * 64, GgmlType.F32.byteSize(172, 64));
        assertEquals(34, GgmlType.Q8_0.rowSize(32));
        assertThrows(IllegalArgumentException.class, () -> GgmlType.Q4_0.byteSize(172, 64));
        assertThrows(ArithmeticException.class, () -> GgmlType.F32.byteSize(1L << 40, 1L << 40));
        assertThrows(IllegalArgumentException.class, () -> GgmlType.F32.byteSize(4, -1));
    }

    @Test
    void fileTypeNames() {
        assertEquals("Q4_K_M", LlamaFileType.byId(15).label());
        assertEquals("F16", LlamaFileType.byId(1).label());
        assertEquals("Q8_0", LlamaFileType.byId(7).label());
        assertEquals("F32", LlamaFileType.byId(0).label());
        assertEquals("MXFP4_MOE", LlamaFileType.byId(38).label());
        assertEquals(LlamaFileType.MOSTLY_NVFP4, LlamaFileType.byLabel("nvfp4"));
        assertNull(LlamaFileType.byId(5));
    }
}
