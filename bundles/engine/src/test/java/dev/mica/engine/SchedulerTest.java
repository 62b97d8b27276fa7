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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several requests on one model: decoded together, queued with a bound, cancelled at once. */
class SchedulerTest {
    @TempDir Path dir;
    private InferenceEngine engine;

    private InferenceEngine engine(FixtureBackend backend, int parallel, int maxQueue) throws Exception {
        return engine(backend, parallel, maxQueue, Map.of());
    }

    private InferenceEngine engine(FixtureBackend backend, int parallel, int maxQueue, Map<String, Object> more) throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        Path file = dir.resolve("m.gguf");
        Files.writeString(file, "GGUF not really a model; the fixture backend does not read it");
        store.create(new CreateRequest("m", file.toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);
        Map<String, Object> config = new java.util.HashMap<>(more);
        config.putAll(Map.of("backends", backend.id(), "num_parallel", Integer.toString(parallel), "max_queue", Integer.toString(maxQueue)));
        engine = new InferenceEngine(store, null, config);
        engine.addBackend(backend);
        return engine;
    }

    @AfterEach
    void tearDown() {
        if (engine != null) engine.deactivate();
    }

    private record Started(Generation generation, StringBuilder text) {
        Done done() throws Exception {
            return generation.result().get(30, TimeUnit.SECONDS);
        }
    }

    private Started start(String prompt, Options options) throws InferenceException {
        StringBuilder text = new StringBuilder();
        Generation g = engine.generate(new GenerateRequest("m", prompt, null, null, null, true, null, null, null, options, null, null, false, 0), e -> {
            if (e instanceof GenerationEvent.Token t) {
                synchronized (text) {
                    text.append(t.text());
                }
            }
        });
        return new Started(g, text);
    }

    private static Options ctx(int numCtx) {
        return new Options(numCtx, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out: " + what);
            Thread.sleep(5);
        }
    }

    private void assertNothingLeft() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((engine.queue().running() > 0 || engine.queue().waiting() > 0) && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(0, engine.queue().running(), "no sequence left decoding");
        assertEquals(0, engine.queue().waiting(), "no request left waiting");
    }

    @Test
    void concurrentRequestsAreDecodedTogetherAndAnswerAsTheyWouldAlone() throws Exception {
        FixtureBackend backend = new FixtureBackend("fixture", 5, 12);
        engine(backend, 4, 16);
        List<String> prompts = List.of("alpha", "bravo two", "charlie three!", "delta");
        List<String> alone = new ArrayList<>();
        int before = backend.decodes();
        for (String p : prompts) {
            Started s = start(p, Options.NONE);
            assertEquals(DoneReason.STOP, s.done().reason());
            alone.add(s.text().toString());
        }
        int sequential = backend.decodes() - before;

        before = backend.decodes();
        List<Started> together = new ArrayList<>();
        for (String p : prompts) together.add(start(p + " ", Options.NONE));
        List<Started> again = new ArrayList<>();
        for (String p : prompts) again.add(start(p, Options.NONE));
        for (Started s : together) assertEquals(DoneReason.STOP, s.done().reason());
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(DoneReason.STOP, again.get(i).done().reason());
            assertEquals(alone.get(i), again.get(i).text().toString(), "a sequence's answer does not depend on its batch mates");
        }
        int batched = backend.decodes() - before;
        assertTrue(batched < sequential * 2 * 0.6, "8 requests in " + batched + " decodes; 4 alone took " + sequential);
        assertNothingLeft();
    }

    @Test
    void aFullQueueRefusesWithUnavailable() throws Exception {
        engine(new FixtureBackend("fixture", 20, 1000), 1, 2);
        Started running = start("one", Options.NONE);
        // the first request must hold the only sequence before the queue is filled behind it
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (engine.queue().running() < 1 && System.nanoTime() < deadline) Thread.sleep(5);
        Started queued1 = start("two", Options.NONE);
        Started queued2 = start("three", Options.NONE);
        InferenceException full = assertThrows(InferenceException.class, () -> start("four", Options.NONE));
        assertEquals(InferenceException.Kind.UNAVAILABLE, full.kind());
        assertTrue(full.getMessage().contains("mica.max_queue"), full.getMessage());
        assertEquals(2, engine.queue().waiting());
        assertEquals(2, engine.queue().capacity());
        for (Started s : List.of(running, queued1, queued2)) s.generation().cancel();
        for (Started s : List.of(running, queued1, queued2)) assertEquals(DoneReason.CANCELLED, s.done().reason());
        assertNothingLeft();
    }

    @Test
    void aCancelledRequestGivesUpItsPlaceAtOnce() throws Exception {
        engine(new FixtureBackend("fixture", 20, 1000), 1, 8);
        Started endless = start("endless", Options.NONE);
        awaitCondition(() -> engine.queue().running() == 1, "the first request holds the only sequence");
        Started waitsBehind = start("second", Options.NONE);
        Started leaves = start("third", Options.NONE);
        long t0 = System.nanoTime();
        leaves.generation().cancel();
        assertEquals(DoneReason.CANCELLED, leaves.done().reason(), "it leaves the queue without waiting for those before it");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2));
        assertEquals(1, engine.queue().waiting());

        endless.generation().cancel();
        assertEquals(DoneReason.CANCELLED, endless.done().reason());
        awaitCondition(() -> engine.queue().running() == 1 && engine.queue().waiting() == 0, "the freed sequence went to the next request");
        waitsBehind.generation().cancel();
        waitsBehind.done();
        assertNothingLeft();
    }

    @Test
    void withAKvStreamPerSequenceEachStepsRowsAscendBySequence() throws Exception {
        FixtureBackend backend = new FixtureBackend("fixture", 2, 30);
        engine(backend, 3, 16, Map.of("kv_unified", "false"));
        Started a = start("alpha", new Options(null, 3, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null));
        Started b = start("bravo", Options.NONE);
        Started c = start("charlie", Options.NONE);
        assertEquals(DoneReason.LENGTH, a.done().reason());
        // the sequence a freed: behind b and c in arrival, ahead of them by number
        Started d = start("delta", Options.NONE);
        for (Started s : List.of(b, c, d)) assertEquals(DoneReason.STOP, s.done().reason());
        assertTrue(backend.splitKvDecodes() > 0, "the context has a KV stream per sequence");
        assertEquals(0, backend.rowsOutOfSequenceOrder(), "every batch's rows ascend by sequence");
        assertNothingLeft();
    }

    @Test
    void kvUnifiedTakesOnlyTrueOrFalse() {
        assertThrows(IllegalArgumentException.class, () -> engine(new FixtureBackend("fixture", 0, 4), 2, 8, Map.of("kv_unified", "sometimes")));
    }

    @Test
    void aDifferentContextShapeWaitsForTheRunningOnes() throws Exception {
        engine(new FixtureBackend("fixture", 10, 20), 2, 8);
        Started big = start("one", ctx(512));
        Started small = start("two", ctx(256));
        Done first = big.done();
        Done second = small.done();
        assertEquals(DoneReason.STOP, first.reason());
        assertEquals(DoneReason.STOP, second.reason());
        assertEquals(20, small.text().length());
        assertEquals(256, engine.running().getFirst().contextLength(), "the context was re-made for the second request");
        assertNothingLeft();
    }

    @Test
    void eachConversationReusesItsOwnPrefix() throws Exception {
        engine(new FixtureBackend("fixture", 1, 8), 2, 8);
        String a = "conversation A: " + "a".repeat(40);
        String b = "conversation B: " + "b".repeat(40);
        start(a, Options.NONE).done();
        start(b, Options.NONE).done();
        Done a2 = start(a + " and more", Options.NONE).done();
        Done b2 = start(b + " and more", Options.NONE).done();
        assertTrue(a2.metrics().cachedTokens() >= a.length(), "A's second turn found A's first: " + a2.metrics());
        assertTrue(b2.metrics().cachedTokens() >= b.length(), "B's second turn found B's first: " + b2.metrics());
        assertEquals(a2.metrics().promptTokens() - a2.metrics().cachedTokens(), a2.metrics().promptEvalCount());
    }

    @Test
    void removingTheBackendEndsQueuedAndRunningRequests() throws Exception {
        FixtureBackend backend = new FixtureBackend("fixture", 20, 1000);
        engine(backend, 1, 8);
        engine.configure(Map.of("backends", "fixture", "drain.timeout", "200ms", "num_parallel", "1", "max_queue", "8"));
        Started running = start("one", Options.NONE);
        Started queued = start("two", Options.NONE);
        awaitCondition(() -> engine.queue().running() == 1 && engine.queue().waiting() == 1, "one decoding, one waiting");
        engine.removeBackend(backend);
        assertEquals(DoneReason.CANCELLED, running.done().reason());
        assertEquals(DoneReason.CANCELLED, queued.done().reason());
        assertEquals(0, backend.openModels(), "the model was unloaded");
        assertEquals(0, engine.queue().waiting());
    }
}
