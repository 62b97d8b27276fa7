package dev.mica.arch.qwen35;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ModelInfo;
import dev.mica.backend.java.JavaBackend;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Embeddings;
import dev.mica.backend.java.testing.Logits;
import dev.mica.backend.java.testing.TestBackends;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Qwen3.5, dense and with experts, on the Java backend against llama.cpp on the same files. */
class Qwen35Test {
    @TempDir Path dir;

    private final JavaBackend java = TestBackends.java(new Qwen35());

    /** A prompt batch, then single tokens: the recurrent state must carry over between decodes. */
    private static final int[][] CHUNKS = {{1, 415, 260, 300, 301, 302, 303, 304, 305, 306, 307}, {308}, {309}, {310, 311}, {312}};

    private double compare(Path file, int[][] chunks) throws Exception {
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(java, file)) {
            assertEquals(ModelInfo.MemoryKind.HYBRID, mine.info().memoryKind());
            assertEquals(ggml.info().memoryKind(), mine.info().memoryKind());
            return Logits.relativeError(Logits.run(mine, chunks), Logits.run(ggml, chunks));
        }
    }

    @Test
    void qwen35LogitsMatchLlamaCpp() throws Exception {
        double error = compare(ArchModels.write(ArchModels.qwen35(false, 11), dir.resolve("qwen35.gguf")), CHUNKS);
        assertTrue(error < 1e-3, "relative error " + error);
    }

    @Test
    void qwen35moeLogitsMatchLlamaCpp() throws Exception {
        double error = compare(ArchModels.write(ArchModels.qwen35(true, 12), dir.resolve("qwen35moe.gguf")), CHUNKS);
        assertTrue(error < 1e-3, "relative error " + error);
    }

    /**
     * One sequence's mean-pooled embedding (the engine embeds one input at a time; libllama splits
     * a batch of several by sequence for recurrent layers, so only one is compared here).
     */
    @Test
    void qwen35MeanEmbeddingMatchesLlamaCpp() throws Exception {
        Path file = ArchModels.write(ArchModels.qwen35(false, 13).putUInt32("qwen35.pooling_type", 1), dir.resolve("qwen35-embed.gguf"));
        int[][] sequence = {{1, 415, 260, 300, 301, 302, 303, 304, 305}};
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(java, file)) {
            double error = Logits.relativeError(Embeddings.run(mine, sequence), Embeddings.run(ggml, sequence));
            assertTrue(error < 1e-3, "relative error " + error);
        }
    }

    /** The shared tiny Qwen3.5 written by llama.cpp's own tools (full rotary, one value head per key head). */
    @Test
    void sharedTinyQwen35MatchesLlamaCpp() throws Exception {
        Path file = TestBackends.sharedModel("tiny-qwen35.gguf");
        int[][] chunks = {{1, 15, 100, 33, 47, 48, 99, 101, 7, 9}, {10}, {11, 12}, {13}};
        double error = compare(file, chunks);
        assertTrue(error < 1e-3, "relative error " + error);
    }
}
