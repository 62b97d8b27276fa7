package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.Options;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import dev.mica.kernel.MicaRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * Architectures are bundles: with the Java backend preferred, a Llama model is refused once the
 * shipped mica-arch-llama is uninstalled, answers as soon as the jar lands in deploy/, and is
 * refused again once the jar is gone. No restart in between.
 */
class ArchitectureHotDeployTest {
    private static final Path ARCH_LLAMA = Path.of(System.getProperty("mica.it.arch.llama", "target/fixtures/mica-arch-llama.jar"));
    private static final Options GREEDY_FOUR = new Options(null, 4, null, 0.0, null, null, null, null, null, null, null, null, null,
            null, null, 1, null, null);

    @TempDir Path work;

    @Test
    void droppingAnArchitectureBundleMakesItsModelsLoadableWithoutRestart() throws Exception {
        Path model = work.resolve("tiny-llama.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, model);
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.backends", "java,ggml"))) {
            assertEquals(List.of(), kernel.failures());
            for (Bundle b : kernel.context().getBundles()) {
                if ("dev.mica.arch.llama".equals(b.getSymbolicName())) b.uninstall();
            }
            Inference inference = kernel.inference();
            inference.create(new CreateRequest("tiny", model.toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);

            InferenceException refused = assertThrows(InferenceException.class, () -> generate(inference));
            assertTrue(refused.getMessage().contains("no architecture bundle for 'llama'"), refused.getMessage());

            Path deployed = Files.copy(ARCH_LLAMA, work.resolve("deploy").resolve(ARCH_LLAMA.getFileName()));
            GenerationEvent.Done done = until(() -> generate(inference), 20_000);
            assertEquals("java", done.backend(), done.toString());

            Files.delete(deployed);
            InferenceException again = until(() -> {
                try {
                    generate(inference);
                    return null;
                } catch (InferenceException e) {
                    return e;
                }
            }, 20_000);
            assertTrue(again.getMessage().contains("no architecture bundle for 'llama'"), again.getMessage());
        }
    }

    /** Four greedy tokens, unloaded afterwards (keep_alive 0), so the next request loads again. */
    private static GenerationEvent.Done generate(Inference inference) throws Exception {
        var g = inference.generate(new GenerateRequest("tiny", "once upon a time", null, null, null, true, null, null, null, GREEDY_FOUR,
                Duration.ZERO, null, false, 0), e -> { });
        return g.result().get(30, TimeUnit.SECONDS);
    }

    @FunctionalInterface
    private interface Attempt<T> {
        T get() throws Exception;
    }

    /** Polls until the attempt returns a value without throwing (FileInstall notices files in about 50 ms). */
    private static <T> T until(Attempt<T> attempt, long millis) throws Exception {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (true) {
            try {
                T value = attempt.get();
                if (value != null) return value;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) throw e;
            }
            if (System.nanoTime() > deadline) throw new AssertionError("gave up after " + millis + " ms");
            Thread.sleep(50);
        }
    }
}
