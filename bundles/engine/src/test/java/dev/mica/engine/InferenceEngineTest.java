package dev.mica.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.GenerationEvent.Done;
import dev.mica.api.inference.GenerationEvent.DoneReason;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.Options;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore;
import dev.mica.fixture.FixtureBackend;
import dev.mica.store.LocalModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceEngineTest {
    @TempDir Path dir;
    private InferenceEngine engine;
    private FixtureBackend first;

    @BeforeEach
    void setUp() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        Path file = dir.resolve("m.gguf");
        Files.writeString(file, "GGUF not really a model; the fixture backend does not read it");
        store.create(new CreateRequest("m", file.toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);
        engine = new InferenceEngine(store, null, Map.of("backends", "second,first", "drain.timeout", "10s"));
        first = new FixtureBackend("first", 1, 12);
        engine.addBackend(first);
    }

    @AfterEach
    void tearDown() {
        engine.deactivate();
    }

    private record Run(String text, Done done) {}

    private Run generate(GenerateRequest r) throws Exception {
        StringBuilder text = new StringBuilder();
        Generation g = engine.generate(r, e -> {
            if (e instanceof GenerationEvent.Token t) text.append(t.text());
        });
        Done done = g.result().get(30, TimeUnit.SECONDS);
        return new Run(text.toString(), done);
    }

    private static GenerateRequest raw(String prompt, Options options) {
        return new GenerateRequest("m", prompt, null, null, null, true, null, null, null, options, null, null, false, 0);
    }

    private static Options predict(int n, List<String> stop) {
        return new Options(null, n, null, 0.0, null, null, null, null, null, null, null, null, null, stop, null, null, null, null);
    }

    @Test
    void generatesUntilTheModelEndsAndReportsMetrics() throws Exception {
        Run run = generate(raw("hello", Options.NONE));
        assertEquals(12, run.text().length());
        assertEquals(DoneReason.STOP, run.done().reason());
        assertEquals(6, run.done().metrics().promptTokens(), "BOS + 5 bytes");
        assertEquals(6, run.done().metrics().promptEvalCount());
        assertEquals(12, run.done().metrics().evalCount());
        assertEquals("first", run.done().backend());
        assertEquals(run.text(), generate(raw("hello", Options.NONE)).text(), "deterministic");
    }

    @Test
    void aFollowUpPromptReusesTheCachedPrefix() throws Exception {
        generate(raw("hello world", Options.NONE));
        Done second = generate(raw("hello there", Options.NONE)).done();
        assertEquals(7, second.metrics().cachedTokens(), "BOS + 'hello '");
        assertEquals(5, second.metrics().promptEvalCount());
    }

    @Test
    void stopsAtNumPredictAndAtStopSequences() throws Exception {
        Run limited = generate(raw("hello", predict(3, null)));
        assertEquals(3, limited.text().length());
        assertEquals(DoneReason.LENGTH, limited.done().reason());
        String full = generate(raw("hello", Options.NONE)).text();
        Run stopped = generate(raw("hello", predict(-1, List.of(full.substring(4, 6)))));
        assertEquals(full.substring(0, full.indexOf(full.substring(4, 6))), stopped.text());
        assertEquals(DoneReason.STOP, stopped.done().reason());
    }

    @Test
    void refusesUnknownModelsAndOversizedPrompts() {
        InferenceException unknown = assertThrows(InferenceException.class, () -> engine.generate(GenerateRequest.of("nope", "x"), e -> {}));
        assertEquals(InferenceException.Kind.NOT_FOUND, unknown.kind());
        Options tiny = new Options(16, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        InferenceException tooLong = assertThrows(InferenceException.class, () -> engine.generate(raw("x".repeat(100), tiny), e -> {}),
                "rendered and checked on the caller's thread, before any event");
        assertEquals(InferenceException.Kind.INVALID_REQUEST, tooLong.kind());
        assertEquals(0, engine.queue().waiting());
        Options bad = new Options(null, null, null, -1.0, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        assertThrows(InferenceException.class, () -> engine.generate(raw("x", bad), e -> {}));
    }

    @Test
    void cancelEndsTheGenerationEarly() throws Exception {
        FixtureBackend slow = new FixtureBackend("second", 50, 1000);
        engine.addBackend(slow);
        Generation g = engine.generate(raw("hello", Options.NONE), e -> {});
        Thread.sleep(120);
        g.cancel();
        Done done = g.result().get(5, TimeUnit.SECONDS);
        assertEquals(DoneReason.CANCELLED, done.reason());
        assertTrue(done.metrics().evalCount() < 100);
    }

    @Test
    void aPreferredBackendTakesNewRequestsAndTheOldOneClosesWhenIdle() throws Exception {
        assertEquals("first", generate(raw("a", Options.NONE)).done().backend());
        assertEquals(1, first.openModels());
        FixtureBackend second = new FixtureBackend("second", 1, 12);
        engine.addBackend(second);
        assertEquals("second", generate(raw("a", Options.NONE)).done().backend());
        assertEquals(0, first.openModels(), "the model on the old backend was unloaded");
        assertEquals(1, second.openModels());
    }

    @Test
    void removingABackendDrainsItsRequestsAndFallsBack() throws Exception {
        FixtureBackend second = new FixtureBackend("second", 20, 30);
        engine.addBackend(second);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        StringBuilder text = new StringBuilder();
        Generation inFlight = engine.generate(raw("drain me", Options.NONE), e -> {
            if (e instanceof GenerationEvent.Token t) text.append(t.text());
        });
        Thread.sleep(100);
        engine.removeBackend(second);
        Done done = inFlight.result().get(10, TimeUnit.SECONDS);
        assertEquals(DoneReason.STOP, done.reason(), "the request in flight finished where it started");
        assertEquals("second", done.backend());
        assertEquals(30, text.length());
        assertEquals(0, second.openModels());
        assertEquals("first", generate(raw("a", Options.NONE)).done().backend());
        assertTrue(failures.isEmpty());
    }

    @Test
    void keepAliveZeroUnloadsAfterTheRequestAndEmptyPromptLoads() throws Exception {
        GenerateRequest load = new GenerateRequest("m", "", null, null, null, false, null, null, null, null, Duration.ofMinutes(5), null, false, 0);
        assertEquals(DoneReason.LOAD, generate(load).done().reason());
        assertEquals(1, engine.running().size());
        GenerateRequest unload = new GenerateRequest("m", "", null, null, null, false, null, null, null, null, Duration.ZERO, null, false, 0);
        assertEquals(DoneReason.UNLOAD, generate(unload).done().reason());
        assertEquals(0, engine.running().size());
        assertEquals(0, first.openModels());
        GenerateRequest once = new GenerateRequest("m", "hi", null, null, null, true, null, null, null, null, Duration.ZERO, null, false, 0);
        generate(once);
        assertEquals(0, first.openModels());
    }

    @Test
    void aModelIsUnloadedOnceItsKeepAliveHasPassedWithoutRequests() throws Exception {
        GenerateRequest r = new GenerateRequest("m", "hi", null, null, null, true, null, null, null, null, Duration.ofSeconds(1), null, false, 0);
        Instant before = Instant.now();
        generate(r);
        assertEquals(1, engine.running().size());
        Instant expires = engine.running().getFirst().expiresAt();
        assertTrue(!expires.isBefore(before.plusSeconds(1)) && expires.isBefore(Instant.now().plusSeconds(2)), "expires a second after the request: " + expires);
        // the reaper looks every second; ten seconds is a bound, not a measurement
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!engine.running().isEmpty() && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(0, engine.running().size(), "unloaded after its keep_alive");
        assertEquals(0, first.openModels());
    }
}
