package dev.mica.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader on the real model files in {@code ../shared/models}, when that folder exists. */
class SharedModelsTest {

    @TempDir
    Path dir;

    private static Path model(String name) {
        Path p = TestFiles.sharedModels().resolve(name);
        assumeTrue(Files.isRegularFile(p), "skipped: " + p + " is not there (the shared test models are optional)");
        return p;
    }

    private static List<Path> allModels() throws IOException {
        Path d = TestFiles.sharedModels();
        assumeTrue(Files.isDirectory(d), "skipped: no shared test models at " + d);
        try (Stream<Path> s = Files.list(d)) {
            List<Path> l = s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
            assumeTrue(!l.isEmpty(), "skipped: no .gguf files in " + d);
            return l;
        }
    }

    @Test
    void stories260K() throws IOException {
        GgufFile g = GgufFile.read(model("stories260K.gguf"));
        assertEquals(3, g.version());
        assertEquals("llama", g.architecture());
        assertEquals(64, g.integer("llama.embedding_length"));
        assertEquals(5, g.integer("llama.block_count"));
        assertEquals(8, g.integer("llama.attention.head_count"));
        assertEquals(4, g.integer("llama.attention.head_count_kv"));
        assertEquals(172, g.integer("llama.feed_forward_length"));
        assertEquals("llama", g.string("tokenizer.ggml.model"));
        assertEquals(512, g.array("tokenizer.ggml.tokens").size());
        assertEquals("<0x0A>", g.array("tokenizer.ggml.tokens").get(13));
        assertEquals(4294967295L, g.integer("tokenizer.ggml.padding_token_id"));
        assertEquals(48, g.tensors().size());
        for (GgufTensor t : g.tensors()) assertEquals(GgmlType.F32, t.type(), t.name());
        GgufTensor down = g.tensor("blk.0.ffn_down.weight");
        assertArrayEquals(new long[] {172, 64}, down.shape());
        assertEquals(172 * 64 * 4, down.byteSize());
        long expected = 512L * 64 * 2 + 64 + 5L * (2 * 64 + 64 * 64 * 2 + 2 * 64 * 32 + 3 * 64 * 172);
        assertEquals(expected, g.parameterCount());
        long end = g.tensors().stream().mapToLong(t -> t.offset() + t.byteSize()).max().orElseThrow();
        assertTrue(end <= Files.size(g.path()));
    }

    @Test
    void llama2TinyRandomWithFullVocab() throws IOException {
        GgufFile g = GgufFile.read(model("llama-2-tiny-random.gguf"));
        assertEquals("llama", g.architecture());
        assertEquals(32000, g.array("tokenizer.ggml.tokens").size());
        assertEquals(32000, g.array("tokenizer.ggml.scores").size());
        assertEquals(GgufValueType.FLOAT32, g.arrayType("tokenizer.ggml.scores"));
        assertTrue(g.tensors().stream().anyMatch(t -> t.type() == GgmlType.F16));
    }

    @Test
    void hybridAndMoeModels() throws IOException {
        GgufFile q35 = GgufFile.read(model("tiny-qwen35.gguf"));
        assertEquals("qwen35", q35.architecture());
        assertEquals(List.of(1L, 0L), q35.array("qwen35.attention.recurrent_layers"));
        GgufFile moe = GgufFile.read(model("tiny-qwen3moe-test.gguf"));
        assertEquals("qwen3moe", moe.architecture());
        assertTrue(moe.tensors().stream().anyMatch(t -> t.dims() == 3), "expert tensors are 3-D");
    }

    /** Metadata with the types read plus the raw tensor bytes give back the file llama.cpp's writer made, byte for byte. */
    @Test
    void everySharedModelReadsAndRewritesIdentically() throws Exception {
        for (Path p : allModels()) {
            GgufFile g = GgufFile.read(p);
            assertFalse(g.metadata().isEmpty(), p.toString());
            assertEquals(0, g.dataOffset() % g.alignment(), p.toString());
            GgufWriter w = new GgufWriter().putAll(g);
            for (GgufTensor t : g.tensors()) {
                w.addTensor(t.name(), t.type(), t.shape(), TensorData.raw(out -> {
                    try (FileChannel ch = FileChannel.open(p)) {
                        ByteBuffer b = ByteBuffer.allocate((int) t.byteSize());
                        while (b.hasRemaining() && ch.read(b, t.offset() + b.position()) > 0) { }
                        b.flip();
                        while (b.hasRemaining()) out.write(b);
                    }
                }));
            }
            Path copy = dir.resolve(p.getFileName());
            w.write(copy);
            long n = Files.size(p);
            // llama.cpp pads the last tensor too; files written by other tools may stop right after it
            assertEquals(sha256(p, n), sha256(copy, n), "rewritten " + p.getFileName() + " differs");
        }
    }

    private static String sha256(Path p, long n) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] b = Files.readAllBytes(p);
        md.update(b, 0, (int) Math.min(n, b.length));
        return HexFormat.of().formatHex(md.digest());
    }
}
