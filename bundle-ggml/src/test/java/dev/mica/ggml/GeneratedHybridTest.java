package dev.mica.ggml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.ModelInfo;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticHybrid;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The synthetic Qwen3.5 hybrid the cache benchmark runs on: llama.cpp's qwen35 loader takes it, in Q8_0 as in F32. */
class GeneratedHybridTest {
    @TempDir Path dir;

    @Test
    void llamaCppLoadsTheSyntheticHybridAsOne() throws Exception {
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.Q8_0}) {
            Path file = dir.resolve("qwen35-" + type + ".gguf");
            SyntheticHybrid.qwen35(SyntheticHybrid.HybridConfig.tiny(), type).write(file);
            assertTrue(Files.size(file) > 0);
            try (GgmlModel model = TestSupport.load(file);
                 InferenceContext context = model.newContext(new ContextOptions(256, 2, 64, 1, false, true))) {
                assertEquals("qwen35", model.info().architecture());
                assertEquals(ModelInfo.MemoryKind.HYBRID, model.info().memoryKind());
                assertFalse(context.memory().supportsPartialRemoval());
                int[] prompt = model.tokenizer().encode("a recurrent state", true, false);
                Decoding.prefill(context, 0, prompt, 0);
                assertEquals(prompt.length - 1, context.memory().maxPosition(0), type.toString());
            }
        }
    }

    /** The shared tiny-qwen35's test on the generated hybrid, so CI runs it without ../shared. */
    @Test
    void theGeneratedHybridRefusesPartialRemovalAndResumesFromSnapshots() throws Exception {
        Path file = dir.resolve("hybrid-f32.gguf");
        SyntheticHybrid.qwen35(SyntheticHybrid.HybridConfig.tiny(), GgmlType.F32).write(file);
        SharedModelsTest.hybridRefusesPartialRemovalAndResumesFromSnapshots(file);
    }
}
