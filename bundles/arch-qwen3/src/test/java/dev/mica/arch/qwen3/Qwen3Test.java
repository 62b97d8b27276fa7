package dev.mica.arch.qwen3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.LoadedModel;
import dev.mica.backend.java.JavaBackend;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Embeddings;
import dev.mica.backend.java.testing.Logits;
import dev.mica.backend.java.testing.TestBackends;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Qwen3 and Qwen3-MoE on the Java backend against llama.cpp on the same files. */
class Qwen3Test {
    @TempDir Path dir;

    private final JavaBackend java = TestBackends.java(new Qwen3(), new Qwen3Moe());

    private static final int[][] CHUNKS = {{1, 415, 260, 300, 301, 302, 303, 304, 305, 306, 307}, {308}, {309}, {310, 311}};

    private static double compare(JavaBackend java, Path file, int[][] chunks) throws Exception {
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(java, file)) {
            assertEquals(ggml.info().architecture(), mine.info().architecture());
            return Logits.relativeError(Logits.run(mine, chunks), Logits.run(ggml, chunks));
        }
    }

    @Test
    void qwen3LogitsMatchLlamaCpp() throws Exception {
        double error = compare(java, ArchModels.write(ArchModels.qwen3(false, 3), dir.resolve("qwen3.gguf")), CHUNKS);
        assertTrue(error < 1e-3, "relative error " + error);
    }

    @Test
    void qwen3moeLogitsMatchLlamaCpp() throws Exception {
        double error = compare(java, ArchModels.write(ArchModels.qwen3(true, 4), dir.resolve("qwen3moe.gguf")), CHUNKS);
        assertTrue(error < 1e-3, "relative error " + error);
    }

    /**
     * Shaped as Qwen3-Embedding declares itself (last-token pooling), and with the mean: three
     * sequences in one batch give llama.cpp's vectors.
     */
    @ParameterizedTest
    @ValueSource(ints = {3, 1})
    void pooledEmbeddingsMatchLlamaCpp(int poolingType) throws Exception {
        Path file = ArchModels.write(ArchModels.qwen3(false, 6).putUInt32("qwen3.pooling_type", poolingType), dir.resolve("qwen3-embed.gguf"));
        int[][] sequences = {{1, 415, 260, 300, 301, 302}, {1, 308}, {1, 309, 310, 311, 312, 313, 314, 315}};
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(java, file)) {
            double error = Logits.relativeError(Embeddings.run(mine, sequences), Embeddings.run(ggml, sequences));
            assertTrue(error < 1e-3, "pooling " + poolingType + ": relative error " + error);
        }
    }

    /** llama.cpp's own Qwen3-MoE test model (F16 weights, its 256-token test vocabulary). */
    @Test
    void sharedTinyQwen3moeMatchesLlamaCpp() throws Exception {
        Path file = TestBackends.sharedModel("tiny-qwen3moe-test.gguf");
        int[][] chunks = {{1, 15, 200, 33, 47, 48, 100, 101, 7, 9}, {10}, {11, 12}};
        double error = compare(java, file, chunks);
        // F16 weights: llama.cpp rounds activations to F16 for those matmuls, the Java kernels do not
        assertTrue(error < 1e-2, "relative error " + error);
    }

    /** Without the Qwen3-MoE architecture the backend refuses its models, naming what is missing. */
    @Test
    void aModelWithoutItsArchitectureIsRefused() throws Exception {
        Path file = ArchModels.write(ArchModels.qwen3(true, 5), dir.resolve("qwen3moe.gguf"));
        BackendException e = org.junit.jupiter.api.Assertions.assertThrows(BackendException.class,
                () -> TestBackends.loadJava(TestBackends.java(new Qwen3()), file));
        assertTrue(e.getMessage().contains("no architecture bundle for 'qwen3moe'") && e.getMessage().contains("installed: Qwen3ForCausalLM, qwen3"),
                e.getMessage());
    }
}
