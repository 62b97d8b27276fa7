package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.arch.llama.Llama;
import dev.mica.arch.qwen3.Qwen3;
import dev.mica.arch.qwen3.Qwen3Moe;
import dev.mica.backend.java.JavaBackend;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Logits;
import dev.mica.backend.java.testing.TestBackends;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random-weight models on MLX against the Java backend (attention in float) on the same files.
 * Both compute in float32 from the same weights (quantized ones dequantize to the same values), so
 * what is left to differ is summation order.
 */
class MlxLogitsTest {
    @TempDir Path dir;

    static final int[][] CHUNKS = {{1, 415, 260, 300, 301, 302, 303, 304, 305, 306, 307}, {308}, {309}, {310, 311}};

    private static MlxBackend mlx(ModelArchitecture... archs) {
        MlxBackend b = new MlxBackend(MlxTesting.folder(), List.of(archs));
        assertTrue(b.status().available(), b.status().detail());
        return b;
    }

    private void compare(Path file, ModelArchitecture arch, double bound) throws Exception {
        MlxBackend mlx = mlx(arch);
        JavaBackend java = TestBackends.exact(arch);
        try (LoadedModel m = mlx.load(file, file.getFileName().toString(), ProgressListener.NONE); LoadedModel j = TestBackends.loadJava(java, file)) {
            List<float[]> expected = Logits.run(j, CHUNKS);
            List<float[]> actual = Logits.run(m, CHUNKS);
            double error = Logits.relativeError(actual, expected);
            System.out.printf("%s: MLX vs Java relative error %.2e%n", file.getFileName(), error);
            assertTrue(error < bound, file.getFileName() + ": relative error " + error);
            assertEquals(expected.size(), Logits.argmaxAgreement(actual, expected));
            assertArrayEquals(Logits.greedy(j, new int[] {1, 300, 301}, 8), Logits.greedy(m, new int[] {1, 300, 301}, 8));
        }
    }

    @ParameterizedTest
    @CsvSource({"F32, 1e-3", "F16, 1e-3", "BF16, 1e-3", "Q8_0, 1e-3", "Q4_0, 1e-3"})
    void llamaMatchesTheJavaBackend(GgmlType type, double bound) throws Exception {
        MlxTesting.folder();
        Path file = dir.resolve("tiny-" + type + ".gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), type, file);
        compare(file, new Llama(), bound);
    }

    /** MXFP4 blocks (as gpt-oss ships them) become MLX's own mxfp4: same exponent byte, nibbles reordered. */
    @Test
    void mxfp4WeightsRunAsMlxMxfp4() throws Exception {
        MlxTesting.folder();
        Path f32 = dir.resolve("tiny-f32.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, f32);
        compare(ArchModels.withRandomBlocks(f32, GgmlType.MXFP4, dir.resolve("tiny-mxfp4.gguf"), 3), new Llama(), 1e-3);
    }

    @Test
    void qwen3MatchesTheJavaBackend() throws Exception {
        MlxTesting.folder();
        compare(ArchModels.write(ArchModels.qwen3(false, 3), dir.resolve("qwen3.gguf")), new Qwen3(), 1e-3);
    }

    @Test
    void qwen3MoeMatchesTheJavaBackend() throws Exception {
        MlxTesting.folder();
        compare(ArchModels.write(ArchModels.qwen3(true, 5), dir.resolve("qwen3moe.gguf")), new Qwen3Moe(), 1e-3);
    }
}
