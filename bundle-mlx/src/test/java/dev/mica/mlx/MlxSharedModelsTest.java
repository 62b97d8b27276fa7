package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.arch.llama.Llama;
import dev.mica.arch.qwen35.Qwen35;
import dev.mica.backend.java.testing.Logits;
import dev.mica.backend.java.testing.TestBackends;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real small models of ../shared/models on MLX (each test skips where its file, or libmlxc, is absent). */
class MlxSharedModelsTest {
    private static LoadedModel mlx(Path file, ModelArchitecture arch) throws Exception {
        MlxBackend b = new MlxBackend(MlxTesting.folder(), List.of(arch));
        assertTrue(b.status().available(), b.status().detail());
        return b.load(file, file.getFileName().toString(), ProgressListener.NONE);
    }

    /** A trained model: greedy from BOS + "Once upon a time" writes the same story as the GGML backend (llama.cpp). */
    @Test
    void stories260kGreedyIsTheGgmlBackendsStory() throws Exception {
        MlxTesting.folder();
        Path file = TestBackends.sharedModel("stories260K.gguf");
        try (LoadedModel model = mlx(file, new Llama())) {
            int[] prompt = model.tokenizer().encode("Once upon a time", true, false);
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, prompt);
            int[] story = Logits.greedy(model, prompt, 64);
            assertEquals(64, story.length);
            assertEquals(", there was a little girl named Lily. She loved to play outside in the park. One day,"
                    + " she saw a big, red ball. She wanted to play with it, but it was too high.\nLily's mom said",
                    model.tokenizer().decode(story));
        }
    }

    /** Qwen3.5 as llama.cpp's own tools write it (full rotary, one value head per key head), against the Java backend. */
    @Test
    void sharedTinyQwen35MatchesTheJavaBackend() throws Exception {
        MlxTesting.folder();
        Path file = TestBackends.sharedModel("tiny-qwen35.gguf");
        int[][] chunks = {{1, 15, 100, 33, 47, 48, 99, 101, 7, 9}, {10}, {11, 12}, {13}};
        try (LoadedModel m = mlx(file, new Qwen35()); LoadedModel j = TestBackends.loadJava(TestBackends.exact(new Qwen35()), file)) {
            double error = Logits.relativeError(Logits.run(m, chunks), Logits.run(j, chunks));
            System.out.printf("tiny-qwen35.gguf: MLX vs Java relative error %.2e%n", error);
            assertTrue(error < 1e-3, "relative error " + error);
        }
    }
}
