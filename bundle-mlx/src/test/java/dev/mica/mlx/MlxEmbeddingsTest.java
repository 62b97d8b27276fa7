package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ModelInfo.Capability;
import dev.mica.api.backend.ProgressListener;
import dev.mica.arch.llama.Llama;
import dev.mica.arch.qwen3.Qwen3;
import dev.mica.arch.qwen35.Qwen35;
import dev.mica.backend.java.JavaBackend;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Embeddings;
import dev.mica.backend.java.testing.Logits;
import dev.mica.backend.java.testing.TestBackends;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.GgufWriter;
import dev.mica.gguf.SyntheticModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Embeddings contexts on MLX against the Java backend (attention in float) on the same random-weight
 * files, whose embeddings the arch bundles compare with llama.cpp's: several sequences of different
 * lengths decoded in one batch, their rows interleaved, so pooling must keep them apart.
 */
class MlxEmbeddingsTest {
    @TempDir Path dir;

    /** The first shares a prefix with the second; the third is the longest. */
    static final int[][] SEQUENCES = {{1, 415, 260, 300, 301, 302, 303}, {1, 415, 260}, {1, 310, 311, 312, 313, 314, 315, 316, 317}};

    private static MlxBackend mlx(ModelArchitecture arch) {
        MlxBackend b = new MlxBackend(MlxTesting.folder(), List.of(arch));
        assertTrue(b.status().available(), b.status().detail());
        return b;
    }

    private static double compare(Path file, ModelArchitecture arch, int[][] sequences) throws Exception {
        JavaBackend java = TestBackends.exact(arch);
        try (LoadedModel m = mlx(arch).load(file, file.getFileName().toString(), ProgressListener.NONE);
             LoadedModel j = TestBackends.loadJava(java, file)) {
            List<float[]> expected = Embeddings.run(j, sequences), actual = Embeddings.run(m, sequences);
            double error = Logits.relativeError(actual, expected);
            System.out.printf("%s: MLX vs Java embeddings, relative error %.2e%n", file.getFileName(), error);
            assertEquals(j.info().capabilities(), m.info().capabilities(), "both backends describe the model alike");
            return error;
        }
    }

    /** Pooling 1 (mean), 3 (last token), 2 (first token); 0 is a model declaring none (embedded by the mean); and bidirectional attention. */
    @ParameterizedTest
    @CsvSource({"1, true", "3, true", "2, true", "-1, true", "1, false"})
    void llamaEmbedsAsTheJavaBackend(int poolingType, boolean causal) throws Exception {
        MlxTesting.folder();
        Path file = dir.resolve("embed-" + poolingType + "-" + causal + ".gguf");
        GgufWriter w = SyntheticModels.llama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32);
        if (poolingType >= 0) w.putUInt32("llama.pooling_type", poolingType);
        if (!causal) w.putBool("llama.attention.causal", false);
        w.write(file);
        double error = compare(file, new Llama(), SEQUENCES);
        assertTrue(error < 1e-3, "pooling " + poolingType + (causal ? "" : ", bidirectional") + ": relative error " + error);
    }

    /** Shaped as Qwen3-Embedding declares itself (last token), and with the mean. */
    @ParameterizedTest
    @ValueSource(ints = {3, 1})
    void qwen3EmbedsAsTheJavaBackend(int poolingType) throws Exception {
        MlxTesting.folder();
        Path file = ArchModels.write(ArchModels.qwen3(false, 6).putUInt32("qwen3.pooling_type", poolingType), dir.resolve("qwen3-embed.gguf"));
        double error = compare(file, new Qwen3(), SEQUENCES);
        assertTrue(error < 1e-3, "pooling " + poolingType + ": relative error " + error);
    }

    /** A hybrid: recurrent layers between attention ones, the mean over three sequences. */
    @Test
    void qwen35EmbedsAsTheJavaBackend() throws Exception {
        MlxTesting.folder();
        Path file = ArchModels.write(ArchModels.qwen35(false, 11).putUInt32("qwen35.pooling_type", 1), dir.resolve("qwen35-embed.gguf"));
        double error = compare(file, new Qwen35(), SEQUENCES);
        assertTrue(error < 1e-3, "relative error " + error);
    }

    /**
     * An MLX-format folder of a Qwen3 with sentence-transformers' 1_Pooling/config.json saying last
     * token (as Qwen3-Embedding's does): an embedding model that embeds as the GGUF declaring
     * pooling 3 does; without that file, a generative model embedded by the mean.
     */
    @Test
    void aFolderDeclaresItsPoolingAsSentenceTransformersDo() throws Exception {
        MlxBackend mlx = mlx(new Qwen3());
        Path plain = ArchModels.write(ArchModels.qwen3(false, 6), dir.resolve("qwen3.gguf"));
        Path last = ArchModels.write(ArchModels.qwen3(false, 6).putUInt32("qwen3.pooling_type", 3), dir.resolve("qwen3-last.gguf"));
        Path folder = dir.resolve("qwen3-mlx");
        MlxFormatModels.write(MlxTesting.runtime(), plain, folder, null, 0, 64, null);
        try (LoadedModel m = mlx.load(folder, "generative", ProgressListener.NONE); LoadedModel g = mlx.load(plain, "gguf", ProgressListener.NONE)) {
            assertFalse(m.info().capabilities().contains(Capability.EMBEDDING), m.info().capabilities().toString());
            double error = Logits.relativeError(Embeddings.run(m, SEQUENCES), Embeddings.run(g, SEQUENCES));
            assertTrue(error < 1e-5, "mean: relative error " + error);
        }
        Files.createDirectories(folder.resolve("1_Pooling"));
        Files.writeString(folder.resolve("1_Pooling/config.json"), "{\"pooling_mode_mean_tokens\": false, \"pooling_mode_lasttoken\": true}");
        try (LoadedModel m = mlx.load(folder, "embedding", ProgressListener.NONE); LoadedModel g = mlx.load(last, "gguf", ProgressListener.NONE)) {
            assertTrue(m.info().capabilities().contains(Capability.EMBEDDING), m.info().capabilities().toString());
            double error = Logits.relativeError(Embeddings.run(m, SEQUENCES), Embeddings.run(g, SEQUENCES));
            assertTrue(error < 1e-5, "last token: relative error " + error);
        }
    }

    private static InferenceContext embeddings(LoadedModel model, int sequences) throws BackendException {
        return model.newContext(new ContextOptions(64, sequences, 32, 1, true, true));
    }

    private Path llama(int poolingType) throws Exception {
        Path file = dir.resolve("llama-" + poolingType + ".gguf");
        SyntheticModels.llama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32).putUInt32("llama.pooling_type", poolingType).write(file);
        return file;
    }

    @Test
    void whatAnEmbeddingsContextCannotDoIsRefused() throws Exception {
        MlxBackend mlx = mlx(new Llama());
        try (LoadedModel model = mlx.load(llama(3), "last", ProgressListener.NONE); InferenceContext c = embeddings(model, 2)) {
            assertTrue(model.info().capabilities().contains(Capability.EMBEDDING), model.info().capabilities().toString());
            assertThrows(IllegalStateException.class, () -> c.embedding(0), "nothing decoded yet");
            assertThrows(IllegalArgumentException.class, () -> c.embedding(2), "no such sequence");
            Batch batch = new Batch(1);
            batch.add(5, 0, 0, true);
            assertEquals(DecodeResult.OK, c.decode(batch));
            assertEquals(SyntheticModels.LlamaConfig.tiny().nEmbd(), c.embedding(0).length);
            IllegalStateException absent = assertThrows(IllegalStateException.class, () -> c.embedding(1));
            assertTrue(absent.getMessage().contains("sequence 1"), absent.getMessage());
            IllegalStateException logits = assertThrows(IllegalStateException.class, () -> c.logits(0));
            assertTrue(logits.getMessage().contains("embeddings context"), logits.getMessage());
            try (InferenceContext logitsOnly = model.newContext(new ContextOptions(16, 1, 16, 1, false, true))) {
                IllegalStateException notEmbeddings = assertThrows(IllegalStateException.class, () -> logitsOnly.embedding(0));
                assertTrue(notEmbeddings.getMessage().contains("not an embeddings context"), notEmbeddings.getMessage());
            }
        }
        try (LoadedModel none = mlx.load(llama(0), "none", ProgressListener.NONE)) {
            BackendException e = assertThrows(BackendException.class, () -> embeddings(none, 1));
            assertTrue(e.getMessage().contains("no pooling"), e.getMessage());
        }
        try (LoadedModel rank = mlx.load(llama(4), "rank", ProgressListener.NONE)) {
            BackendException e = assertThrows(BackendException.class, () -> embeddings(rank, 1));
            assertTrue(e.getMessage().contains("reranker") && e.getMessage().contains("mlx backend"), e.getMessage());
        }
    }

    /** Every step's arrays, the hidden states included, are freed: MLX's active memory stays flat. */
    @Test
    void embeddingStepsLeakNothing() throws Exception {
        MlxBackend mlx = mlx(new Llama());
        MlxRuntime rt = MlxTesting.runtime();
        try (LoadedModel model = mlx.load(llama(1), "mean", ProgressListener.NONE); InferenceContext c = embeddings(model, 2)) {
            long before = 0;
            for (int step = 0; step < 400; step++) {
                c.memory().clear();
                Batch batch = new Batch(6);
                for (int i = 0; i < 3; i++) {
                    batch.add(300 + (step + i) % 50, i, 0, true);
                    batch.add(200 + (step * 7 + i) % 50, i, 1, true);
                }
                assertEquals(DecodeResult.OK, c.decode(batch));
                c.embedding(0);
                if (step == 100) before = rt.call(() -> rt.mlx().memory("mlx_get_active_memory"));
            }
            long after = rt.call(() -> rt.mlx().memory("mlx_get_active_memory"));
            System.out.printf("MLX active memory after 100 embedding steps %d, after 400 %d bytes%n", before, after);
            assertTrue(after <= before + 64 * 1024, "active memory grew from " + before + " to " + after);
        }
    }
}
