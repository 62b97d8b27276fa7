package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.arch.llama.Llama;
import dev.mica.arch.qwen3.Qwen3;
import dev.mica.arch.qwen3.Qwen3Moe;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufWriter;
import java.util.Map;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Logits;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MLX-format folders (written by {@link MlxFormatModels} from random-weight GGUF F32 models) on the
 * MLX backend against the same model from GGUF: float32 folders give the GGUF logits; quantized
 * ones give the logits of a GGUF F32 file holding exactly the dequantized weights, and stay within
 * the quantization error of the original.
 */
class MlxSafetensorsModelTest {
    @TempDir Path dir;

    private static final int[][] CHUNKS = MlxLogitsTest.CHUNKS;

    private MlxBackend backend() {
        MlxBackend b = new MlxBackend(MlxTesting.folder(), List.of(new Llama(), new Qwen3(), new Qwen3Moe()));
        assertTrue(b.status().available(), b.status().detail());
        return b;
    }

    private Path source(String arch) throws IOException {
        Path f = dir.resolve(arch + "-f32.gguf");
        if (arch.equals("llama")) SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, f);
        else ArchModels.write(ArchModels.qwen3(arch.equals("qwen3moe"), 3), f);
        return f;
    }

    private static double compare(MlxBackend b, Path folder, Path gguf) throws Exception {
        try (LoadedModel m = b.load(folder, folder.getFileName().toString(), ProgressListener.NONE);
             LoadedModel g = b.load(gguf, gguf.getFileName().toString(), ProgressListener.NONE)) {
            return Logits.relativeError(Logits.run(m, CHUNKS), Logits.run(g, CHUNKS));
        }
    }

    @ParameterizedTest
    @CsvSource({"llama", "qwen3", "qwen3moe"})
    void float32FolderGivesTheGgufLogits(String arch) throws Exception {
        MlxBackend b = backend();
        Path gguf = source(arch), folder = dir.resolve(arch + "-mlx-f32");
        MlxFormatModels.write(MlxTesting.runtime(), gguf, folder, null, 0, 64, null);
        double error = compare(b, folder, gguf);
        System.out.printf("%s float32 folder vs GGUF F32: relative error %.2e%n", arch, error);
        assertTrue(error < 1e-5, "relative error " + error);
        try (LoadedModel m = b.load(folder, "x", ProgressListener.NONE); LoadedModel g = b.load(gguf, "y", ProgressListener.NONE)) {
            assertArrayEquals(Logits.greedy(g, new int[] {1, 300, 301}, 8), Logits.greedy(m, new int[] {1, 300, 301}, 8));
            assertEquals(arch, m.info().architecture());
            assertTrue(m.info().chatTemplate().contains("messages"));
            assertEquals(512, m.info().vocabSize());
        }
        // as the engine hands it over: a descriptor whose model is the folder
        ModelDescriptor d = new ModelDescriptor(arch + ":mlx", "safetensors", folder, "sha256:0", 0, java.time.Instant.now(), null, null,
                null, null, null);
        assertTrue(b.supports(d));
        assertTrue(b.formats().contains("safetensors"));
        b.load(d, null, null).close();
        assertFalse(b.supports(new ModelDescriptor("x", "safetensors", dir, "sha256:0", 0, java.time.Instant.now(), null, null, null, null,
                null)), "a folder without config.json");
    }

    @ParameterizedTest
    @CsvSource({"llama, affine, 4, 64, 0.5", "llama, affine, 8, 64, 0.05", "llama, mxfp4, 4, 32, 0.8", "llama, mxfp8, 8, 32, 0.5",
            "llama, nvfp4, 4, 16, 0.5", "qwen3, affine, 4, 32, 0.5", "qwen3, affine, 8, 32, 0.05", "qwen3, mxfp4, 4, 32, 0.8",
            "qwen3, mxfp8, 8, 32, 0.5", "qwen3, nvfp4, 4, 16, 0.5", "qwen3moe, affine, 4, 32, 0.5", "qwen3moe, mxfp4, 4, 32, 0.8",
            "qwen3moe, nvfp4, 4, 16, 0.5"})
    void quantizedFolderGivesTheDequantizedLogits(String arch, String mode, int bits, int group, double quantBound) throws Exception {
        MlxBackend b = backend();
        Path gguf = source(arch), folder = dir.resolve(arch + "-" + mode + bits), reference = dir.resolve(arch + "-" + mode + bits + "-ref.gguf");
        MlxFormatModels.write(MlxTesting.runtime(), gguf, folder, mode, bits, group, reference);
        double exact = compare(b, folder, reference), quant = compare(b, folder, gguf);
        System.out.printf("%s %s %d-bit/%d folder: vs GGUF of the dequantized weights %.2e, vs the F32 original %.3f%n",
                arch, mode, bits, group, exact, quant);
        assertTrue(exact < 1e-4, "against the dequantized weights: relative error " + exact);
        assertTrue(quant < quantBound, "against the original: relative error " + quant);
    }

    /**
     * Llama 3's rope scaling comes from config.json alone; GGUF files carry it as rope_freqs.weight.
     * A small original context makes the scaling reach the frequencies a short test sees.
     */
    @Test
    void llama3RopeScalingMatchesTheGgufRopeFreqs() throws Exception {
        MlxBackend b = backend();
        Path gguf = source("llama"), folder = dir.resolve("llama3");
        MlxFormatModels.write(MlxTesting.runtime(), gguf, folder, null, 0, 64, null);
        Path config = folder.resolve("config.json");
        Files.writeString(config, Files.readString(config).replaceFirst("\\{", "{\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0,"
                + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64},"));
        float[] factors = MlxSafetensorsWeights.llama3RopeFactors(MlxFolder.json(config));
        assertEquals(8, factors.length);
        assertEquals(1f, factors[0]);
        assertEquals(8f, factors[7]);
        assertTrue(factors[1] > 1 && factors[2] < 8, Arrays.toString(factors));
        Path scaled = dir.resolve("llama3.gguf");
        GgufWriter w = new GgufWriter().putAll(GgufFile.read(gguf));
        GgufFile f = GgufFile.read(gguf);
        try (var ch = java.nio.channels.FileChannel.open(gguf)) {
            for (var t : f.tensors()) {
                java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate((int) t.byteSize());
                ch.read(bb, t.offset());
                w.addTensor(t.name(), t.type(), t.shape(), dev.mica.gguf.TensorData.bytes(bb.array()));
            }
        }
        w.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {factors.length}, factors);
        w.write(scaled);
        double error = compare(b, folder, scaled), unscaled = compare(b, folder, gguf);
        System.out.printf("llama3 rope scaling: folder vs GGUF with rope_freqs %.2e, vs GGUF without %.2e%n", error, unscaled);
        assertTrue(error < 1e-5, "relative error " + error);
        assertTrue(unscaled > 1e-3, "the scaling made no difference: " + unscaled);
    }

    @Test
    void brokenFoldersFailWithAMessage() throws Exception {
        MlxBackend b = backend();
        Path folder = dir.resolve("broken");
        MlxFormatModels.write(MlxTesting.runtime(), source("llama"), folder, "affine", 4, 64, null);
        Path part = folder.resolve("model-00002-of-00002.safetensors");
        byte[] full = Files.readAllBytes(part);
        Files.write(part, Arrays.copyOf(full, full.length - 100));
        BackendException e = assertThrows(BackendException.class, () -> b.load(folder, "broken", ProgressListener.NONE));
        assertTrue(e.getMessage().contains("outside the"), e.getMessage());
        Files.write(part, Arrays.copyOf(full, 3));
        e = assertThrows(BackendException.class, () -> b.load(folder, "broken", ProgressListener.NONE));
        assertTrue(e.getMessage().contains("shorter than the 8-byte header"), e.getMessage());
        Files.write(part, full);
        Files.writeString(folder.resolve("config.json"), Files.readString(folder.resolve("config.json")).replace("LlamaForCausalLM", "GPT9"));
        e = assertThrows(BackendException.class, () -> b.load(folder, "broken", ProgressListener.NONE));
        assertTrue(e.getMessage().contains("no architecture bundle for 'GPT9'"), e.getMessage());
        Files.writeString(folder.resolve("config.json"), Files.readString(folder.resolve("config.json")).replace("GPT9", "LlamaForCausalLM")
                .replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 3"));
        e = assertThrows(BackendException.class, () -> b.load(folder, "broken", ProgressListener.NONE));
        assertTrue(e.getMessage().contains("rows do not split into 3 heads"), e.getMessage());
        // and the backend is still usable afterwards
        MlxFormatModels.write(MlxTesting.runtime(), source("llama"), dir.resolve("fine"), null, 0, 64, null);
        b.load(dir.resolve("fine"), "fine", ProgressListener.NONE).close();
    }
}
