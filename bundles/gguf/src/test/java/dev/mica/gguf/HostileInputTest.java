package dev.mica.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncated, corrupted and hostile headers fail with GgufException, quickly, and never with anything else. */
class HostileInputTest {

    @TempDir
    Path dir;

    private static final long[] HUGE = {1L << 62, 1L << 40, -1L, Long.MAX_VALUE, 1L << 32, 0xFFFF_FFFFL, 1L << 31, 1L << 20};

    /** A small file that has every kind of field: strings, arrays, a nested array, several tensors. */
    static byte[] small() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putUInt32("llama.block_count", 1)
                .putStrings("tokenizer.ggml.tokens", List.of("<s>", "a", "bc"))
                .putFloats("tokenizer.ggml.scores", new float[] {0, -1, -2})
                .putArray("nested", GgufValueType.ARRAY, List.of(new GgufWriter.Array(GgufValueType.UINT8, List.of(1, 2))))
                .addTensor("a", GgmlType.F32, new long[] {8, 2}, new float[16])
                .addTensor("b", GgmlType.Q8_0, new long[] {32}, new float[32])
                .addTensor("c", GgmlType.F16, new long[] {4}, new float[4])
                .write(Channels.newChannel(out));
        return out.toByteArray();
    }

    static byte[] tinyModel() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SyntheticModels.llama(SyntheticModels.LlamaConfig.tiny().withLayers(1), GgmlType.Q8_0).write(Channels.newChannel(out));
        return out.toByteArray();
    }

    /** Parses bytes; returns the exception or null when the file was accepted; fails on anything else. */
    private static GgufException parse(byte[] b, String what) {
        try {
            GgufFile.read(what, b, GgufFile.Limits.DEFAULT);
            return null;
        } catch (GgufException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith("GGUF " + what + ": "), e.getMessage());
            return e;
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + t, t);
        }
    }

    @Test
    void truncatedAnywhereBeforeTheLastTensorEndsFails() throws IOException {
        for (byte[] full : List.of(small(), tinyModel())) {
            GgufFile ok = GgufFile.read("full", full, GgufFile.Limits.DEFAULT);
            long lastEnd = ok.tensors().stream().mapToLong(t -> t.offset() + t.byteSize()).max().orElseThrow();
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                for (int n = 0; n < lastEnd; n += n < ok.dataOffset() + 64 ? 1 : 61) {
                    byte[] cut = java.util.Arrays.copyOf(full, n);
                    if (parse(cut, "cut-" + n) == null) fail("a file cut to " + n + " of " + full.length + " bytes was accepted");
                }
            });
            // cut after the last tensor's data (only the final padding missing): still a good file
            GgufFile cut = GgufFile.read("cut", java.util.Arrays.copyOf(full, (int) lastEnd), GgufFile.Limits.DEFAULT);
            assertEquals(ok.tensors(), cut.tensors());
        }
    }

    @Test
    void hugeValuesWrittenAnywhereInTheHeaderNeverHangOrExhaustMemory() throws IOException {
        byte[] base = small();
        GgufFile ok = GgufFile.read("small", base, GgufFile.Limits.DEFAULT);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int rejected = 0;
            for (int p = 0; p < ok.dataOffset(); p++) {
                for (long v : HUGE) {
                    byte[] b = base.clone();
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(p, v);
                    if (parse(b, "huge-" + p) != null) rejected++;
                }
            }
            assertTrue(rejected > ok.dataOffset(), "most such files are rejected: " + rejected);
        });
    }

    @Test
    void randomCorruptionNeverThrowsAnythingElse() throws IOException {
        byte[] base = tinyModel();
        GgufFile ok = GgufFile.read("tiny", base, GgufFile.Limits.DEFAULT);
        SplittableRandom r = new SplittableRandom(1234);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 3000; i++) {
                byte[] b = base.clone();
                int flips = 1 + r.nextInt(4);
                for (int k = 0; k < flips; k++) b[r.nextInt((int) ok.dataOffset())] ^= (byte) (1 << r.nextInt(8));
                parse(b, "flip-" + i);
            }
        });
    }

    // ---------------------------------------------------------------- targeted cases, each with its message

    private static int find(byte[] b, String s) {
        byte[] n = s.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + n.length <= b.length; i++) {
            for (int j = 0; j < n.length; j++) if (b[i + j] != n[j]) continue outer;
            return i;
        }
        throw new AssertionError(s + " not found");
    }

    /** The tensor info of a one-letter tensor: the last place its name follows a u64 length of 1. */
    private static int info(byte[] b, char name, int dims) {
        byte[] n = {1, 0, 0, 0, 0, 0, 0, 0, (byte) name, (byte) dims, 0, 0, 0};
        outer:
        for (int i = b.length - n.length; i >= 0; i--) {
            for (int j = 0; j < n.length; j++) if (b[i + j] != n[j]) continue outer;
            return i + 8;
        }
        throw new AssertionError("tensor " + name + " not found");
    }

    private static byte[] putLong(byte[] base, int at, long v) {
        byte[] b = base.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
        return b;
    }

    private static byte[] putInt(byte[] base, int at, int v) {
        byte[] b = base.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return b;
    }

    private static void rejects(byte[] b, String... words) {
        GgufException e = parse(b, "case");
        if (e == null) fail("accepted; expected a message with " + List.of(words));
        for (String w : words) assertTrue(e.getMessage().contains(w), "'" + e.getMessage() + "' should say '" + w + "'");
    }

    @Test
    void absurdStringLengths() throws IOException {
        byte[] b = small();
        int key = find(b, "general.architecture");
        rejects(putLong(b, key - 8, 1L << 62), "key of metadata entry 0", "length", "limit");
        int valLen = key + "general.architecture".length() + 4;
        rejects(putLong(b, valLen, 1L << 62), "'general.architecture'", "above the limit");
        rejects(putLong(b, valLen, 1L << 20), "'general.architecture'", "truncated");
        rejects(putLong(b, valLen, -1L), "absurd");
        int tok = find(b, "<s>");
        rejects(putLong(b, tok - 8, 1L << 62), "string 0 of array 'tokenizer.ggml.tokens'");
    }

    @Test
    void absurdCounts() throws IOException {
        byte[] b = small();
        rejects(putLong(b, 8, 1L << 40), "tensor count", "limit");
        rejects(putLong(b, 8, 1000), "truncated or absurd header");
        rejects(putLong(b, 16, 1L << 40), "metadata key count", "limit");
        rejects(putLong(b, 16, -5), "absurd");
        int arr = find(b, "tokenizer.ggml.tokens") + "tokenizer.ggml.tokens".length() + 8; // after type and element type
        rejects(putLong(b, arr, 1L << 40), "'tokenizer.ggml.tokens'", "above the limit");
        rejects(putLong(b, arr, 1L << 22), "'tokenizer.ggml.tokens'", "cannot fit");
        GgufFile.Limits tight = new GgufFile.Limits(1 << 20, 2, 100, 1 << 20, 4, 100, 100);
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.read("tight", b, tight));
        assertTrue(e.getMessage().contains("has 3 elements, above the limit of 2"), e.getMessage());
    }

    @Test
    void arraysNestedTooDeeply() throws IOException {
        // a hand-made header: one key whose value is an array of arrays of ... 10 deep
        ByteBuffer h = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1);
        byte[] k = "deep".getBytes(StandardCharsets.UTF_8);
        h.putLong(k.length).put(k).putInt(GgufValueType.ARRAY.id());
        for (int i = 0; i < 10; i++) h.putInt(GgufValueType.ARRAY.id()).putLong(1);
        h.putInt(GgufValueType.UINT8.id()).putLong(1).put((byte) 7);
        byte[] b = java.util.Arrays.copyOf(h.array(), h.position());
        rejects(b, "nests arrays 5 deep, above the limit of 4");
        // 2^40 arrays of arrays: the remaining bytes cannot hold them
        ByteBuffer w = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        w.putLong(8 + 8 + 8 + 8 + 4 + 4 + 4, 1L << 23);
        rejects(b, "cannot fit");
    }

    @Test
    void badMagicVersionAndTypes() throws IOException {
        byte[] b = small();
        rejects(putInt(b, 0, 0x46554746), "not a GGUF file", "magic");
        rejects(new byte[3], "too short");
        rejects(putInt(b, 4, 1), "version 1");
        rejects(putInt(b, 4, 4), "unsupported GGUF version 4");
        rejects(putInt(b, 4, 0x03000000), "big-endian");
        int key = find(b, "llama.block_count");
        rejects(putInt(b, key + "llama.block_count".length(), 13), "invalid value type 13");
        int t = info(b, 'a', 2); // tensor "a", n_dims 2
        rejects(putInt(b, t + 1, 5), "5 dimensions");
        rejects(putLong(b, t + 5, -8), "dimension 0 is negative");
        rejects(putInt(b, t + 5 + 16, 4), "removed ggml type 4");
        rejects(putInt(b, t + 5 + 16, 99), "unknown ggml type 99");
        int bq = info(b, 'b', 1); // tensor "b", Q8_0, n_dims 1
        rejects(putLong(b, bq + 5, 31), "not a multiple of the block size 32");
        rejects(putLong(b, t + 5, 1L << 62), "more than 2^63 elements");
        rejects(putLong(b, bq + 5, 1L << 61), "beyond the end of the file");
        rejects(putLong(b, t + "a".length() + 4 + 16 + 4, 1), "not a multiple of the alignment");
    }

    @Test
    void offsetsBeyondTheFileOrOverlapping() throws IOException {
        byte[] b = small();
        int a = info(b, 'a', 2);
        int aOff = a + 1 + 4 + 16 + 4;
        rejects(putLong(b, aOff, 1L << 40), "tensor 'a'", "beyond the end of the file");
        rejects(putLong(b, aOff, Long.MAX_VALUE & ~31L), "beyond the end of the file");
        int c = info(b, 'c', 1);
        int cOff = c + 1 + 4 + 8 + 4;
        rejects(putLong(b, cOff, 0), "overlaps", "'a'", "'c'");
        int bq = info(b, 'b', 1);
        rejects(putLong(b, bq + 1 + 4 + 8 + 4, -32), "absurd");
        // duplicate names
        byte[] d = b.clone();
        d[c] = 'a';
        rejects(d, "duplicate tensor name 'a'");
        byte[] k = b.clone();
        int key = find(k, "llama.block_count");
        System.arraycopy("general.architectur".getBytes(StandardCharsets.UTF_8), 0, k, key, 17);
        GgufException e = parse(k, "dupkey");
        assertTrue(e == null || e.getMessage().length() > 0);
    }

    @Test
    void badAlignment() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new GgufWriter().putUInt32("general.alignment", 64).addTensor("t", GgmlType.F32, new long[] {4}, new float[4])
                .write(Channels.newChannel(out));
        byte[] b = out.toByteArray();
        int v = find(b, "general.alignment") + "general.alignment".length() + 4;
        rejects(putInt(b, v, 48), "not a power of 2");
        rejects(putInt(b, v, 0), "not a power of 2");
        rejects(putInt(b, v - 4, GgufValueType.INT32.id()), "general.alignment has type INT32");
    }

    @Test
    void missingFileIsAnIOException() {
        IOException e = assertThrows(IOException.class, () -> GgufFile.read(Path.of("/nonexistent/x.gguf")));
        assertTrue(!(e instanceof GgufException));
    }

    @Test
    void aFileOnDiskWithALongVocabStringIsRejected() throws IOException {
        Path f = dir.resolve("big.gguf");
        Files.write(f, putLong(small(), 24, 1L << 62));
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.read(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }
}
