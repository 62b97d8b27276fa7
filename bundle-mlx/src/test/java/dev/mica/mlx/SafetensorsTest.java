package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors header reader on good, truncated and hostile files; needs no MLX. */
class SafetensorsTest {
    @TempDir Path dir;

    private Path good() throws IOException {
        Path f = dir.resolve("good.safetensors");
        MlxFormatModels.writeSafetensors(f, List.of(
                new MlxFormatModels.Entry("a.weight", "F32", new long[] {2, 3}, MlxFormatModels.le(new float[] {1, 2, 3, 4, 5, 6})),
                new MlxFormatModels.Entry("a.scales", "BF16", new long[] {2, 1}, new byte[4])));
        return f;
    }

    @Test
    void readsAWellFormedFile() throws IOException {
        Safetensors s = Safetensors.read(good());
        assertEquals(2, s.tensors().size());
        Safetensors.Entry a = s.tensors().getFirst();
        assertEquals("a.weight", a.name());
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertEquals(24, a.bytes());
        assertEquals("mlx", s.metadata().get("format"));
        assertEquals(s.fileSize() - 28, a.offset());
    }

    private String error(byte[] content) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, content);
        return assertThrows(IOException.class, () -> Safetensors.read(f)).getMessage();
    }

    private static byte[] file(long headerLength, String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(h);
        return b.array();
    }

    @Test
    void truncatedAndHostileFilesFailWithAMessage() throws IOException {
        byte[] ok = Files.readAllBytes(good());
        assertTrue(error(Arrays.copyOf(ok, 5)).contains("shorter than the 8-byte header length"));
        assertTrue(error(Arrays.copyOf(ok, 40)).contains("is truncated"));
        assertTrue(error(Arrays.copyOf(ok, ok.length - 1)).contains("outside the"), "data cut short");
        assertTrue(error(file(-1, "{}", 0)).contains("declares a header of 18446744073709551615 bytes"));
        assertTrue(error(file(1L << 40, "{}", 0)).contains("declares a header"));
        String h = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        assertTrue(error(file(h.length(), h, 8)).contains("needs 8 bytes, has 4"));
        h = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775800,9223372036854775804]}}";
        assertTrue(error(file(h.length(), h, 8)).contains("outside the"));
        h = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}}";
        assertTrue(error(file(h.length(), h, 4)).contains("too large"));
        h = "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}";
        assertTrue(error(file(h.length(), h, 4)).contains("bad dimension"));
        h = "{\"x\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertTrue(error(file(h.length(), h, 4)).contains("dtype Q9"));
        h = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}";
        assertTrue(error(file(h.length(), h, 4)).contains("outside the"));
        h = "[1,2]";
        assertTrue(error(file(h.length(), h, 0)).contains("not a JSON object"));
        h = "{\"x\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
        assertTrue(error(file(h.length(), h, 0)).contains("nested deeper"));
        h = "{\"x\":{\"dtype\":\"F32\"";
        assertTrue(error(file(h.length(), h, 0)).contains("not JSON"));
    }

    /** Random bytes after a plausible length: always an IOException, never another failure. */
    @Test
    void randomGarbageIsRefused() throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        byte[] ok = Files.readAllBytes(good());
        for (int i = 0; i < 500; i++) {
            byte[] b = ok.clone();
            for (int k = 0; k < 1 + r.nextInt(4); k++) b[8 + r.nextInt(b.length - 8)] = (byte) r.nextInt(256);
            Path f = dir.resolve("fuzz.safetensors");
            Files.write(f, b);
            try {
                Safetensors.read(f);
            } catch (IOException expected) {
                // a clear refusal is what we want
            }
        }
    }
}
