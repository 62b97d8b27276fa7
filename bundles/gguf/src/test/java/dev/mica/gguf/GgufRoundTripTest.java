package dev.mica.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {

    @TempDir
    Path dir;

    static GgufWriter everyType() {
        return new GgufWriter()
                .putString("general.architecture", "test")
                .putString("s.unicode", "héllo ▁wörld 🦙 \u0000 end")
                .putString("s.empty", "")
                .putUInt8("n.u8", 255).putInt8("n.i8", -128)
                .putUInt16("n.u16", 65535).putInt16("n.i16", -32768)
                .putUInt32("n.u32", 4_000_000_000L).putInt32("n.i32", Integer.MIN_VALUE)
                .putUInt64("n.u64", -1L).putInt64("n.i64", Long.MIN_VALUE)
                .putFloat32("f.f32", 1.5e-5f).putFloat64("f.f64", Math.PI)
                .putBool("b.true", true).putBool("b.false", false)
                .putArray("a.u8", GgufValueType.UINT8, List.of(0, 1, 255))
                .putArray("a.i8", GgufValueType.INT8, List.of(-1, 127))
                .putArray("a.u16", GgufValueType.UINT16, List.of(65535))
                .putArray("a.i16", GgufValueType.INT16, List.of(-2))
                .putArray("a.u32", GgufValueType.UINT32, List.of(4_294_967_295L, 0L))
                .putInts("a.i32", new int[] {-1, 0, 1})
                .putArray("a.u64", GgufValueType.UINT64, List.of(Long.MAX_VALUE))
                .putArray("a.i64", GgufValueType.INT64, List.of(-5L))
                .putFloats("a.f32", new float[] {0.5f, Float.NEGATIVE_INFINITY})
                .putArray("a.f64", GgufValueType.FLOAT64, List.of(2.25))
                .putArray("a.bool", GgufValueType.BOOL, List.of(true, false, true))
                .putStrings("a.str", List.of("a", "", "ü"))
                .putArray("a.empty", GgufValueType.FLOAT32, List.of())
                .putArray("a.nested", GgufValueType.ARRAY, List.of(
                        new GgufWriter.Array(GgufValueType.INT32, List.of(1, 2)),
                        new GgufWriter.Array(GgufValueType.STRING, List.of("x"))));
    }

    @Test
    void metadataOfEveryTypeRoundTrips() throws IOException {
        Path f = dir.resolve("t.gguf");
        everyType().write(f);
        GgufFile g = GgufFile.read(f);
        assertEquals(3, g.version());
        assertEquals(32, g.alignment());
        assertEquals("test", g.architecture());
        assertEquals("héllo ▁wörld 🦙 \u0000 end", g.string("s.unicode"));
        assertEquals("", g.string("s.empty"));
        assertEquals(255, g.metadata().get("n.u8"));
        assertEquals(-128, g.metadata().get("n.i8"));
        assertEquals(65535, g.metadata().get("n.u16"));
        assertEquals(-32768, g.metadata().get("n.i16"));
        assertEquals(4_000_000_000L, g.metadata().get("n.u32"));
        assertEquals(Integer.MIN_VALUE, g.metadata().get("n.i32"));
        assertEquals(-1L, g.metadata().get("n.u64"));
        assertEquals(Long.MIN_VALUE, g.integer("n.i64"));
        assertEquals(4_000_000_000L, g.integer("n.u32"));
        assertEquals(1.5e-5f, g.metadata().get("f.f32"));
        assertEquals(Math.PI, g.metadata().get("f.f64"));
        assertEquals(true, g.bool("b.true"));
        assertEquals(false, g.metadata().get("b.false"));
        assertEquals(List.of(0, 1, 255), g.array("a.u8"));
        assertEquals(List.of(-1, 127), g.array("a.i8"));
        assertEquals(List.of(65535), g.array("a.u16"));
        assertEquals(List.of(-2), g.array("a.i16"));
        assertEquals(List.of(4_294_967_295L, 0L), g.array("a.u32"));
        assertEquals(List.of(-1, 0, 1), g.array("a.i32"));
        assertEquals(List.of(Long.MAX_VALUE), g.array("a.u64"));
        assertEquals(List.of(-5L), g.array("a.i64"));
        assertEquals(List.of(0.5f, Float.NEGATIVE_INFINITY), g.array("a.f32"));
        assertEquals(List.of(2.25), g.array("a.f64"));
        assertEquals(List.of(true, false, true), g.array("a.bool"));
        assertEquals(List.of("a", "", "ü"), g.array("a.str"));
        assertEquals(List.of(), g.array("a.empty"));
        assertEquals(List.of(List.of(1, 2), List.of("x")), g.array("a.nested"));
        assertEquals(GgufValueType.UINT32, g.type("n.u32"));
        assertEquals(GgufValueType.ARRAY, g.type("a.str"));
        assertEquals(GgufValueType.STRING, g.arrayType("a.str"));
        assertEquals(GgufValueType.ARRAY, g.arrayType("a.nested"));
        assertNull(g.string("n.u32"));
        assertNull(g.integer("missing"));
        assertEquals(7, g.integer("missing", 7));
        // file order
        List<String> keys = new ArrayList<>(g.metadata().keySet());
        assertEquals("general.architecture", keys.get(0));
        assertEquals("a.nested", keys.get(keys.size() - 1));
        assertTrue(g.tensors().isEmpty());
        assertThrows(UnsupportedOperationException.class, () -> g.metadata().put("x", 1));
    }

    @Test
    void copyingMetadataKeepsTypes() throws IOException {
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf");
        everyType().write(a);
        new GgufWriter().putAll(GgufFile.read(a)).write(b);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void tensorsRoundTripWithDataAndAlignment() throws IOException {
        for (int alignment : new int[] {32, 64, 4096}) {
            Path f = dir.resolve("t" + alignment + ".gguf");
            float[] v32 = new float[64 * 3];
            for (int i = 0; i < v32.length; i++) v32[i] = (i - 90) / 7f;
            byte[] raw = new byte[5 * 4];
            for (int i = 0; i < raw.length; i++) raw[i] = (byte) i;
            GgufWriter w = new GgufWriter().alignment(alignment).putString("general.architecture", "test")
                    .addTensor("f32", GgmlType.F32, new long[] {64, 3}, v32)
                    .addTensor("f16", GgmlType.F16, new long[] {64, 3}, v32)
                    .addTensor("bf16", GgmlType.BF16, new long[] {64, 3}, v32)
                    .addTensor("q8", GgmlType.Q8_0, new long[] {64, 3}, v32)
                    .addTensor("q4", GgmlType.Q4_0, new long[] {64, 3}, v32)
                    .addTensor("raw.i32", GgmlType.I32, new long[] {5}, TensorData.bytes(raw))
                    .addTensor("d4", GgmlType.F32, new long[] {2, 1, 3, 2}, new float[12])
                    .addTensor("empty", GgmlType.F32, new long[] {0, 4}, new float[0]);
            long written = w.write(f);
            assertEquals(Files.size(f), written);
            GgufFile g = GgufFile.read(f);
            assertEquals(alignment, g.alignment());
            assertEquals(8, g.tensors().size());
            assertEquals(0, g.dataOffset() % alignment);
            for (GgufTensor t : g.tensors()) assertEquals(0, (t.offset() - g.dataOffset()) % alignment, t.name());
            assertEquals(64 * 3 * 5 + 5 + 12, g.parameterCount());
            assertEquals(34 * 2 * 3, g.tensor("q8").byteSize());
            assertEquals(18 * 2 * 3, g.tensor("q4").byteSize());
            assertArrayEquals(new long[] {2, 1, 3, 2}, g.tensor("d4").shape());
            assertEquals(4, g.tensor("d4").dims());

            ByteBuffer f32 = data(f, g.tensor("f32"));
            for (float x : v32) assertEquals(x, f32.getFloat());
            ByteBuffer f16 = data(f, g.tensor("f16"));
            for (float x : v32) assertEquals(Float.float16ToFloat(Float.floatToFloat16(x)), Float.float16ToFloat(f16.getShort()));
            ByteBuffer bf = data(f, g.tensor("bf16"));
            for (float x : v32) assertEquals(GgmlQuants.fp32ToBf16(x), bf.getShort());
            byte[] q8 = new byte[34 * 6], q4 = new byte[18 * 6];
            GgmlQuants.quantizeRowQ8_0(v32, 0, v32.length, q8, 0);
            GgmlQuants.quantizeRowQ4_0(v32, 0, v32.length, q4, 0);
            assertEquals(ByteBuffer.wrap(q8), data(f, g.tensor("q8")));
            assertEquals(ByteBuffer.wrap(q4), data(f, g.tensor("q4")));
            assertEquals(ByteBuffer.wrap(raw), data(f, g.tensor("raw.i32")));
            assertEquals(0, g.tensor("empty").byteSize());
        }
    }

    @Test
    void writerRejectsBadInput() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.putUInt8("k", 256));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("k", -1));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", GgufValueType.INT32, "no"));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("k", GgufValueType.INT8, List.of(1, 300)));
        assertThrows(IllegalArgumentException.class, () -> w.alignment(48));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("q", GgmlType.Q4_0, new long[] {33, 2}, new float[66]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("k", GgmlType.Q4_K, new long[] {256}, new float[256]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("x".repeat(64), GgmlType.F32, new long[] {1}, new float[1]));
        w.addTensor("t", GgmlType.F32, new long[] {1}, new float[1]);
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {1}, new float[1]));
    }

    @Test
    void rawSourceWritingTheWrongSizeFails() {
        GgufWriter w = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {4}, TensorData.bytes(new byte[15]));
        IOException e = assertThrows(IOException.class, () -> w.write(dir.resolve("bad.gguf")));
        assertTrue(e.getMessage().contains("wrote 15 bytes, expected 16"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("bad.gguf")), "no partial file is left");
    }

    @Test
    void readsVersion2() throws IOException {
        Path f = dir.resolve("v2.gguf");
        new GgufWriter().putString("general.architecture", "test").addTensor("t", GgmlType.F32, new long[] {8}, new float[8]).write(f);
        byte[] b = Files.readAllBytes(f);
        b[4] = 2;
        Files.write(f, b);
        GgufFile g = GgufFile.read(f);
        assertEquals(2, g.version());
        assertInstanceOf(Map.class, g.metadata());
        assertEquals(1, g.tensors().size());
    }

    static ByteBuffer data(Path f, GgufTensor t) throws IOException {
        try (FileChannel ch = FileChannel.open(f)) {
            ByteBuffer b = ByteBuffer.allocate((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, t.offset());
            return b.flip();
        }
    }
}
