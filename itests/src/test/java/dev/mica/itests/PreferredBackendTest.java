package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore;
import dev.mica.kernel.MicaRuntime;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which backend a model runs on when both are installed and neither leaves: the configured order,
 * changed on a running kernel through {@code deploy/dev.mica.engine.cfg}, and a model's own
 * {@code backend} parameter. HotSwapTest moves requests by installing and removing bundles;
 * MlxSwapTest moves them by preference but needs MLX, so without these CI never sees a preference
 * change under load.
 */
class PreferredBackendTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path work;

    /** One Java-API request: the phase it started and ended in, and where it ran. */
    private record Served(int startPhase, int endPhase, String backend) {}

    @Test
    void changingThePreferredBackendTwiceUnderLoadFailsNoRequestAndMovesNewOnes() throws Exception {
        Files.createDirectories(work.resolve("jars"));
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.backends", "fixture-a,fixture-b", "mica.fixture.delay.ms", "3",
                "mica.ollama.models", "none"))) {
            assertEquals(List.of(), kernel.failures());
            kernel.install(Kernels.fixtureAs("fixture-a", work.resolve("jars")));
            kernel.install(Kernels.fixtureAs("fixture-b", work.resolve("jars")));
            Inference inference = kernel.inference();
            String model = Kernels.fakeModel(work).toString();
            inference.create(new CreateRequest("swap", model, null, null, null, null, null, null), ModelStore.StatusListener.NONE);
            // its own runner (and scheduler thread), so holding one of its requests stalls no other traffic
            inference.create(new CreateRequest("held", model, null, null, null, null, null, null), ModelStore.StatusListener.NONE);

            // Phases 0, 2 and 4 are settled (a, b, a); 1 and 3 are the changes, while the new
            // file is on its way to the engine. A request that starts and ends in one settled
            // phase must run on that phase's backend.
            AtomicInteger phase = new AtomicInteger();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger completed = new AtomicInteger();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            List<Served> served = new CopyOnWriteArrayList<>();
            Set<String> seen = ConcurrentHashMap.newKeySet();
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            ExecutorService clients = Executors.newFixedThreadPool(4);
            CountDownLatch release = new CountDownLatch(1);
            try {
                for (int c = 0; c < 4; c++) {
                    int client = c;
                    clients.execute(() -> {
                        for (int i = 0; running.get(); i++) {
                            try {
                                String prompt = "client " + client + " request " + i;
                                if (client % 2 == 1) {
                                    overHttp(http, url, prompt);
                                } else {
                                    int start = phase.get();
                                    GenerationEvent.Done done = generate(inference, "swap", prompt, e -> { });
                                    served.add(new Served(start, phase.get(), done.backend()));
                                    seen.add(done.backend());
                                }
                                completed.incrementAndGet();
                            } catch (Throwable t) {
                                failures.add(t);
                            }
                        }
                    });
                }
                HotSwapTest.waitFor(() -> seen.contains("fixture-a"), "fixture-a serves first");

                // A request held after its first token, so it is in flight on fixture-a across the change.
                CountDownLatch firstToken = new CountDownLatch(1);
                StringBuilder heldText = new StringBuilder();
                var held = inference.generate(request("held", "held across the swap"), e -> {
                    if (e instanceof GenerationEvent.Token t) {
                        heldText.append(t.text());
                        firstToken.countDown();
                        try {
                            // Blocking a sink stalls its model's scheduler: only "held"'s, which nothing else uses.
                            release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException ex) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
                assertTrue(firstToken.await(30, TimeUnit.SECONDS), "the held request started");

                Path cfg = work.resolve("deploy").resolve("dev.mica.engine.cfg");
                phase.set(1);
                Files.writeString(cfg, "backends=fixture-b,fixture-a\n");
                HotSwapTest.waitFor(() -> seen.contains("fixture-b"), "requests move to fixture-b");
                phase.set(2);
                HotSwapTest.waitFor(() -> settled(served, 2) >= 10, "traffic flows on fixture-b");
                assertEquals("fixture-b", psBackend(http, url, "swap"), "/api/ps shows where the model runs now");

                // The same model, asked again while its first request still runs on fixture-a: the new
                // one goes to fixture-b, the old one is not moved or cut off.
                assertEquals("fixture-b", generate(inference, "held", "asked after the swap", e -> { }).backend());
                assertFalse(held.result().isDone(), "the held request is still in flight");
                release.countDown();
                GenerationEvent.Done heldDone = held.result().get(30, TimeUnit.SECONDS);
                assertEquals("fixture-a", heldDone.backend(), "a request in flight finishes where it started");
                assertEquals(GenerationEvent.DoneReason.STOP, heldDone.reason());
                assertEquals(12, heldText.length(), "and its answer is whole: '" + heldText + "'");

                phase.set(3);
                seen.clear();
                Files.writeString(cfg, "backends=fixture-a,fixture-b\n");
                HotSwapTest.waitFor(() -> seen.contains("fixture-a"), "and back to fixture-a");
                phase.set(4);
                HotSwapTest.waitFor(() -> settled(served, 4) >= 10, "traffic flows on fixture-a again");
                running.set(false);
                clients.shutdown();
                assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS));
            } finally {
                // a failed assertion must not leave clients looping against a closed kernel
                running.set(false);
                release.countDown();
                clients.shutdownNow();
            }

            assertTrue(failures.isEmpty(), () -> failures.size() + " failed requests, first: " + failures.getFirst());
            List<String> expected = List.of("fixture-a", "", "fixture-b", "", "fixture-a");
            List<Served> misplaced = served.stream()
                    .filter(s -> s.startPhase() == s.endPhase() && s.startPhase() % 2 == 0 && !s.backend().equals(expected.get(s.startPhase()))).toList();
            assertEquals(List.of(), misplaced, "requests that started after a change took effect run on the preferred backend");
            assertTrue(settled(served, 0) > 0, "requests ran before the first change");
            assertTrue(completed.get() > 40, "completed " + completed.get());
            assertEquals("fixture-a", psBackend(http, url, "swap"));
        }
    }

    @Test
    void aModelsOwnBackendParameterWinsOverTheConfiguredOrder() throws Exception {
        Files.createDirectories(work.resolve("jars"));
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.backends", "fixture-a,fixture-b", "mica.ollama.models", "none"))) {
            kernel.install(Kernels.fixtureAs("fixture-a", work.resolve("jars")));
            kernel.install(Kernels.fixtureAs("fixture-b", work.resolve("jars")));
            Inference inference = kernel.inference();
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            inference.create(new CreateRequest("plain", Kernels.fakeModel(work).toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);
            // as a Modelfile's "FROM plain / PARAMETER backend fixture-b" arrives at the server
            createOverHttp(http, url, Map.of("model", "on-b", "from", "plain", "parameters", Map.of("backend", "fixture-b"), "stream", false));
            createOverHttp(http, url, Map.of("model", "on-a", "from", "plain", "parameters", Map.of("backend", "fixture-a"), "stream", false));
            createOverHttp(http, url, Map.of("model", "on-nothing", "from", "plain", "parameters", Map.of("backend", "no-such-backend"), "stream", false));

            assertEquals("fixture-b", generate(inference, "on-b", "hello", e -> { }).backend());
            assertEquals("fixture-a", generate(inference, "plain", "hello", e -> { }).backend());
            assertEquals("fixture-a", generate(inference, "on-a", "hello", e -> { }).backend());
            assertEquals("fixture-a", generate(inference, "on-nothing", "hello", e -> { }).backend(), "a preference for a backend not installed falls back to the order");
            Kernels.generateOverHttp(http, url, "on-b", "over http too");
            assertEquals("fixture-b", psBackend(http, url, "on-b"));
            assertEquals("fixture-a", psBackend(http, url, "plain"));

            // The global order flips; the models that name a backend stay on it.
            Files.writeString(work.resolve("deploy").resolve("dev.mica.engine.cfg"), "backends=fixture-b,fixture-a\n");
            HotSwapTest.waitFor(() -> {
                try {
                    return "fixture-b".equals(generate(inference, "plain", "which", e -> { }).backend());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, "the new order reaches the engine");
            assertEquals("fixture-a", generate(inference, "on-a", "hello again", e -> { }).backend());
            assertEquals("fixture-b", generate(inference, "on-b", "hello again", e -> { }).backend());
        }
    }

    /** Requests that started and ended in {@code phase}. */
    private static long settled(List<Served> served, int phase) {
        return served.stream().filter(s -> s.startPhase() == phase && s.endPhase() == phase).count();
    }

    private static GenerateRequest request(String model, String prompt) {
        return new GenerateRequest(model, prompt, null, null, null, true, null, null, null, null, Duration.ofMinutes(5), null, false, 0);
    }

    /** A complete answer through the inference contract, or an AssertionError. */
    private static GenerationEvent.Done generate(Inference inference, String model, String prompt, Inference.EventSink sink) throws Exception {
        StringBuilder text = new StringBuilder();
        var g = inference.generate(request(model, prompt), e -> {
            if (e instanceof GenerationEvent.Token t) text.append(t.text());
            sink.accept(e);
        });
        GenerationEvent.Done done = g.result().get(30, TimeUnit.SECONDS);
        if (done.reason() != GenerationEvent.DoneReason.STOP || text.length() != 12) {
            throw new AssertionError("incomplete answer: " + done.reason() + " '" + text + "'");
        }
        return done;
    }

    private static void overHttp(HttpClient http, URI url, String prompt) throws Exception {
        Kernels.generateOverHttp(http, url, "swap", prompt);
    }

    private static void createOverHttp(HttpClient http, URI url, Map<String, Object> body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve("/api/create")).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    /** The backend /api/ps names for a model, or null when it is not loaded. */
    private static String psBackend(HttpClient http, URI url, String model) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve("/api/ps")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        for (JsonNode m : JSON.readTree(r.body()).path("models")) {
            if (m.path("name").asText().equals(model + ":latest") || m.path("name").asText().equals(model)) return m.path("backend").asText(null);
        }
        return null;
    }
}
