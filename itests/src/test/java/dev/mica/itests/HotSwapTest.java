package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore;
import dev.mica.kernel.MicaRuntime;
import java.net.URI;
import java.net.http.HttpClient;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * The first promise of the design: backends swap under load without a restart and without a failed
 * request. Boots the real kernel with the distribution's bundles plus fixture backends, keeps four
 * clients generating (two through the inference contract, two over HTTP), then installs a preferred backend (requests move to it) and removes it again
 * (its requests drain, the rest fall back).
 */
class HotSwapTest {
    @TempDir Path work;

    @Test
    void swappingBackendsTwiceUnderLoadFailsNoRequest() throws Exception {
        Files.createDirectories(work.resolve("jars"));
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.backends", "fixture-b,fixture-a", "mica.fixture.delay.ms", "3"))) {
            assertEquals(List.of(), kernel.failures());
            kernel.install(Kernels.fixtureAs("fixture-a", work.resolve("jars")));
            Inference inference = kernel.inference();
            inference.create(new CreateRequest("swap", Kernels.fakeModel(work).toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);

            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger completed = new AtomicInteger();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            Set<String> servedBy = ConcurrentHashMap.newKeySet();
            ExecutorService clients = Executors.newFixedThreadPool(4);
            for (int c = 0; c < 4; c++) {
                int client = c;
                clients.execute(() -> {
                    int i = 0;
                    while (running.get()) {
                        try {
                            if (client % 2 == 1) {
                                Kernels.generateOverHttp(http, url, "swap", "client " + client + " request " + i++);
                                completed.incrementAndGet();
                                continue;
                            }
                            StringBuilder text = new StringBuilder();
                            var g = inference.generate(new GenerateRequest("swap", "client " + client + " request " + i++, null, null, null, true, null, null, null, null,
                                    Duration.ofMinutes(5), null, false, 0), e -> {
                                        if (e instanceof GenerationEvent.Token t) text.append(t.text());
                                    });
                            GenerationEvent.Done done = g.result().get(30, TimeUnit.SECONDS);
                            if (done.reason() != GenerationEvent.DoneReason.STOP || text.length() != 12) {
                                throw new AssertionError("incomplete answer: " + done.reason() + " '" + text + "'");
                            }
                            servedBy.add(done.backend());
                            completed.incrementAndGet();
                        } catch (Throwable t) {
                            failures.add(t);
                        }
                    }
                });
            }
            waitFor(() -> servedBy.contains("fixture-a"), "fixture-a serves");

            Bundle b = kernel.install(Kernels.fixtureAs("fixture-b", work.resolve("jars")));
            int before = completed.get();
            waitFor(() -> servedBy.contains("fixture-b"), "requests move to the preferred fixture-b");
            waitFor(() -> completed.get() > before + 20, "traffic keeps flowing on fixture-b");

            servedBy.clear();
            b.uninstall();
            int afterRemoval = completed.get();
            waitFor(() -> completed.get() > afterRemoval + 20, "traffic keeps flowing after fixture-b left");
            running.set(false);
            clients.shutdown();
            assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS));

            assertTrue(failures.isEmpty(), () -> failures.size() + " failed requests, first: " + failures.getFirst());
            assertTrue(servedBy.contains("fixture-a"), "fell back to fixture-a");
            assertTrue(completed.get() > 40, "completed " + completed.get());
            assertEquals(List.of("fixture-a"), inference.running().stream().map(r -> r.backend()).toList());
        }
    }

    @Test
    void aBackendDroppedIntoTheDeployFolderTakesOverWithoutRestart() throws Exception {
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.backends", "fixture-hot,ggml"))) {
            Inference inference = kernel.inference();
            inference.create(new CreateRequest("hot", Kernels.fakeModel(work).toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);
            Files.createDirectories(work.resolve("jars"));
            Path jar = Kernels.fixtureAs("fixture-hot", work.resolve("jars"));
            Files.copy(jar, work.resolve("deploy").resolve(jar.getFileName()));
            waitFor(() -> inference.backends().stream().anyMatch(r -> r.id().equals("fixture-hot")), "FileInstall installs the bundle");
            var g = inference.generate(new GenerateRequest("hot", "hello", null, null, null, true, null, null, null, null, null, null, false, 0), e -> {});
            assertEquals("fixture-hot", g.result().get(30, TimeUnit.SECONDS).backend());
            Files.delete(work.resolve("deploy").resolve(jar.getFileName()));
            waitFor(() -> inference.backends().stream().noneMatch(r -> r.id().equals("fixture-hot")), "removing the file uninstalls it");
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting: " + what);
            Thread.sleep(10);
        }
    }
}
