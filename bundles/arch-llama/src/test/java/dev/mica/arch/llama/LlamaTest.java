package dev.mica.arch.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ModelInfo.Capability;
import dev.mica.backend.java.JavaBackend;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Embeddings;
import dev.mica.backend.java.testing.Logits;
import dev.mica.backend.java.testing.TestBackends;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.GgufWriter;
import dev.mica.gguf.SyntheticModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Llama on the Java backend against llama.cpp on the same files. */
class LlamaTest {
    @TempDir Path dir;

    /** Rounds attention as llama.cpp does: what is left to differ is this architecture and the kernels. */
    private final JavaBackend parity = TestBackends.java(new Llama());
    /** The backend as it runs for users: attention in float. */
    private final JavaBackend exact = TestBackends.exact(new Llama());

    /** A prompt batch (the many-token matmul path), then single tokens and a pair (the decode path). */
    static final int[][] CHUNKS = {{1, 415, 260, 300, 301, 302, 303, 304, 305, 306, 307}, {308}, {309}, {310, 311}};

    private Path tiny(GgmlType type) throws Exception {
        Path file = dir.resolve("tiny-" + type + ".gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), type, file);
        return file;
    }

    @Test
    void f32LogitsMatchLlamaCpp() throws Exception {
        Path file = tiny(GgmlType.F32);
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(parity, file);
             LoadedModel plain = TestBackends.loadJava(exact, file)) {
            List<float[]> expected = Logits.run(ggml, CHUNKS);
            double error = Logits.relativeError(Logits.run(mine, CHUNKS), expected);
            assertTrue(error < 1e-3, "relative error " + error);
            // In float, only llama.cpp's half-precision KV cache sets the two apart.
            List<float[]> floats = Logits.run(plain, CHUNKS);
            double floatError = Logits.relativeError(floats, expected);
            assertTrue(floatError < 3e-3, "relative error in float " + floatError);
            assertEquals(expected.size(), Logits.argmaxAgreement(floats, expected));
        }
    }

    /**
     * Quantized weights: llama.cpp also quantizes the activations (to Q8 for quantized weights,
     * to F16/BF16 for those), which the Java kernels do not, so the logits differ by that rounding;
     * a wrong block layout would put them apart by their whole scale.
     */
    @ParameterizedTest
    @CsvSource({"F16, 0.01", "BF16, 0.05", "Q8_0, 0.05", "Q4_0, 0.05"})
    void quantizedLogitsMatchLlamaCpp(GgmlType type, double bound) throws Exception {
        Path file = tiny(type);
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(parity, file)) {
            double error = Logits.relativeError(Logits.run(mine, CHUNKS), Logits.run(ggml, CHUNKS));
            assertTrue(error < bound, type + ": relative error " + error);
        }
    }

    /** Q4_K and Q6_K, as llama.cpp's own quantizer writes them (Q4_K_M mixes both). */
    @Test
    void kQuantLogitsMatchLlamaCpp() throws Exception {
        Path f32 = dir.resolve("wide-f32.gguf");
        // K-quants need rows of 256: a model 256 wide
        SyntheticModels.writeLlama(new SyntheticModels.LlamaConfig("wide", 256, 2, 4, 2, 512, 512, 512, 10000f, 1e-5f,
                SyntheticModels.VocabKind.SPM, false, 7), GgmlType.F32, f32);
        Path file = dir.resolve("wide-q4_k_m.gguf");
        TestBackends.ggml().quantize(f32, file, "Q4_K_M", 1);
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(parity, file)) {
            double error = Logits.relativeError(Logits.run(mine, CHUNKS), Logits.run(ggml, CHUNKS));
            assertTrue(error < 0.05, "relative error " + error);
        }
    }

    /** MXFP4 and NVFP4 weights, made as random blocks (no quantizer here writes them). */
    @ParameterizedTest
    @CsvSource({"MXFP4", "NVFP4"})
    void fp4LogitsMatchLlamaCpp(GgmlType type) throws Exception {
        Path file = ArchModels.withRandomBlocks(tiny(GgmlType.F32), type, dir.resolve("tiny-" + type + ".gguf"), 3);
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(parity, file)) {
            double error = Logits.relativeError(Logits.run(mine, CHUNKS), Logits.run(ggml, CHUNKS));
            assertTrue(error < 0.05, type + ": relative error " + error);
        }
    }

    /** Three sequences of different lengths; the first shares a prefix with the second. */
    static final int[][] SEQUENCES = {{1, 415, 260, 300, 301, 302, 303}, {1, 415, 260}, {1, 310, 311, 312, 313, 314, 315, 316, 317}};

    /**
     * An embedding model (a llama declaring its pooling: 1 mean, 2 first token, 3 last token; and
     * one with bidirectional attention), its sequences decoded in one batch: the pooled vectors
     * are llama.cpp's.
     */
    @ParameterizedTest
    @CsvSource({"1, true", "2, true", "3, true", "1, false"})
    void pooledEmbeddingsMatchLlamaCpp(int poolingType, boolean causal) throws Exception {
        Path file = dir.resolve("embed-" + poolingType + "-" + causal + ".gguf");
        GgufWriter w = SyntheticModels.llama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32).putUInt32("llama.pooling_type", poolingType);
        if (!causal) w.putBool("llama.attention.causal", false);
        w.write(file);
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(parity, file)) {
            List<float[]> expected = Embeddings.run(ggml, SEQUENCES);
            double error = Logits.relativeError(Embeddings.run(mine, SEQUENCES), expected);
            assertTrue(error < 1e-3, "pooling " + poolingType + (causal ? "" : ", bidirectional") + ": relative error " + error);
            assertTrue(ggml.info().capabilities().contains(Capability.EMBEDDING), "llama.cpp calls it an embedding model");
            assertTrue(mine.info().capabilities().contains(Capability.EMBEDDING), "and so does the java backend");
        }
    }

    @Test
    void stories260kLogitsMatchLlamaCpp() throws Exception {
        Path file = TestBackends.sharedModel("stories260K.gguf");
        try (LoadedModel ggml = TestBackends.loadGgml(file); LoadedModel mine = TestBackends.loadJava(parity, file)) {
            double error = Logits.relativeError(Logits.run(mine, CHUNKS), Logits.run(ggml, CHUNKS));
            assertTrue(error < 1e-3, "relative error " + error);
        }
    }

    @Test
    void stories260kGreedyIsLlamaCppsStory() throws Exception {
        Path file = TestBackends.sharedModel("stories260K.gguf");
        int[] prompt = {1, 403, 407, 261, 378};
        int[] expected = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
                410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268,
                388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415, 426, 13, 438, 310,
                439, 419, 357, 336};
        try (LoadedModel mine = TestBackends.loadJava(exact, file)) {
            assertArrayEquals(prompt, mine.tokenizer().encode("Once upon a time", true, false));
            int[] story = Logits.greedy(mine, prompt, 64);
            assertArrayEquals(expected, story);
            assertEquals(", there was a little girl named Lily. She loved to play outside in the park. One day,"
                    + " she saw a big, red ball. She wanted to play with it, but it was too high.\nLily's mom said",
                    mine.tokenizer().decode(story));
        }
    }
}
