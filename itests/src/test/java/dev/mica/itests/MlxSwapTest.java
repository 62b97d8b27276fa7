package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * GGML and MLX, both real, swapped on a running kernel under load: the preference moves to MLX and
 * back through deploy/dev.mica.engine.cfg, then the MLX bundle is stopped while it serves. No
 * request may fail. Needs a libmlxc: {@code -Dmica.it.mlx=/path/to/lib} or MICA_MLX_PATH; without
 * one the test says so and skips (CI machines have none).
 */
class MlxSwapTest {
    private static final Options EIGHT = new Options(null, 8, null, 0.0, null, null, null, null, null, null, null, null, null,
            null, null, 1, null, null);
    @TempDir Path work;

    /** The libmlxc folder the MLX itests run with, or null (then they skip). */
    static String mlxPath() {
        String p = System.getProperty("mica.it.mlx", System.getenv("MICA_MLX_PATH"));
        return p == null || p.isBlank() || !Files.isDirectory(Path.of(p)) ? null : p;
    }

    @Test
    void swappingGgmlAndMlxUnderLoadFailsNoRequest() throws Exception {
        String mlx = mlxPath();
        Assumptions.assumeTrue(mlx != null, "skipped: no libmlxc folder in -Dmica.it.mlx or MICA_MLX_PATH (MLX is built locally, never shipped)");
        Path model = work.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, model);
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.backends", "ggml,mlx", "mica.mlx.path", mlx, "mica.num_thread", "1"))) {
            Inference inference = kernel.inference();
            assertTrue(inference.backends().stream().anyMatch(b -> b.id().equals("mlx") && b.available()), () -> "mlx: " + inference.backends());
            inference.create(new CreateRequest("tiny", model.toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger completed = new AtomicInteger();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            Set<String> servedBy = ConcurrentHashMap.newKeySet();
            ExecutorService clients = Executors.newFixedThreadPool(3);
            for (int c = 0; c < 3; c++) {
                int client = c;
                clients.execute(() -> {
                    for (int i = 0; running.get(); i++) {
                        try {
                            var g = inference.generate(new GenerateRequest("tiny", "client " + client + " asks " + i, null, null, null, true, null, null, null,
                                    EIGHT, Duration.ofMinutes(5), null, false, 0), e -> { });
                            GenerationEvent.Done done = g.result().get(60, TimeUnit.SECONDS);
                            if (done.metrics().evalCount() == 0) throw new AssertionError("no answer: " + done);
                            servedBy.add(done.backend());
                            completed.incrementAndGet();
                        } catch (Throwable t) {
                            failures.add(t);
                        }
                    }
                });
            }
            HotSwapTest.waitFor(() -> servedBy.contains("ggml"), "ggml serves first");
            Path cfg = work.resolve("deploy").resolve("dev.mica.engine.cfg");
            Files.writeString(cfg, "backends=mlx,ggml\n");
            HotSwapTest.waitFor(() -> servedBy.contains("mlx"), "requests move to mlx");
            int onMlx = completed.get();
            HotSwapTest.waitFor(() -> completed.get() > onMlx + 10, "traffic flows on mlx");

            servedBy.clear();
            Files.writeString(cfg, "backends=ggml,mlx\n");
            HotSwapTest.waitFor(() -> servedBy.contains("ggml"), "and back to ggml");
            Files.writeString(cfg, "backends=mlx,ggml\n");
            HotSwapTest.waitFor(() -> servedBy.contains("mlx"), "mlx again");

            Bundle mlxBundle = null;
            for (Bundle b : kernel.context().getBundles()) {
                if (b.getSymbolicName() != null && b.getSymbolicName().contains("mlx")) mlxBundle = b;
            }
            assertTrue(mlxBundle != null, "the mlx bundle is installed");
            servedBy.clear();
            mlxBundle.stop();
            int afterStop = completed.get();
            HotSwapTest.waitFor(() -> completed.get() > afterStop + 10, "traffic flows on after mlx left");
            running.set(false);
            clients.shutdown();
            assertTrue(clients.awaitTermination(60, TimeUnit.SECONDS));

            assertTrue(failures.isEmpty(), () -> failures.size() + " failed requests, first: " + failures.getFirst());
            assertTrue(servedBy.contains("ggml"), "fell back to ggml: " + servedBy);
            assertEquals(List.of("ggml"), inference.running().stream().map(r -> r.backend()).distinct().toList());
        }
    }
}
