package dev.mica.engine;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.cache.ContextCache;
import dev.mica.api.cache.PrefixCache;
import dev.mica.api.inference.GenerationEvent.Done;
import dev.mica.api.inference.GenerationEvent.DoneReason;
import dev.mica.api.inference.Inference.EventSink;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.InferenceException.Kind;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Continuous batching for one loaded model: up to {@code parallel} sequences share one context
 * and are decoded together, one batch per step, on one thread. Each step puts in one token for
 * every sequence that is generating and fills the rest of the batch with prompt chunks of those
 * still prefilling; after the decode, every sequence whose logits came out samples its next token.
 * A new request takes a free sequence as soon as one is free, between two steps; a cancelled one
 * gives its sequence back at the next step.
 *
 * <p>Requests beyond the free sequences wait in a queue, first come first served, bounded by a
 * count the engine shares across models ({@code mica.max_queue}); one more is refused. A request
 * whose context shape (num_ctx, num_batch, num_thread) differs from the context's waits until the
 * running ones are done, then the context is re-created for it.
 *
 * <p>Events go to the sinks from this thread; a sink must not block.
 */
final class Scheduler {
    private static final System.Logger LOG = System.getLogger("mica.engine");

    /** What a context is made for; requests with another shape wait for a re-created context. */
    record Shape(int contextLength, int batchSize, int threads) {}

    /** A request on its way: the generation, the context shape it needs, where its Done goes. */
    private record Entry(Sequence sequence, Shape shape, EventSink sink) {}

    private final LoadedModel model;
    private final String backendId;
    private final String name;
    private final Supplier<PrefixCache> prefixCache;
    private final int parallel;
    private final boolean unifiedKv;
    /** Active entries' indices by sequence id, for a batch whose rows ascend by sequence (split KV). */
    private final int[] bySequence;
    private final AtomicInteger queued;
    private final int maxQueue;
    private final Thread thread;
    private final Object lock = new Object();
    private final ArrayDeque<Entry> waiting = new ArrayDeque<>();
    private final List<Entry> active = new ArrayList<>();
    private volatile boolean stopping;
    private volatile InferenceContext ctx;
    private Shape shape;
    /** Places prompts in the context's sequences: the prefix cache bundle's, else the engine's own. */
    private ContextCache cache;
    private Batch batch;
    /** Per step, reused so the loop allocates nothing: the entries in the batch, their token counts, those that end. */
    private final List<Entry> inBatch = new ArrayList<>();
    private final int[] added;
    private final List<Entry> finished = new ArrayList<>();
    private final List<DoneReason> reasons = new ArrayList<>();

    /**
     * @param queued requests waiting over all models, shared with the other schedulers
     */
    Scheduler(LoadedModel model, String backendId, String name, int parallel, boolean unifiedKv, AtomicInteger queued, int maxQueue,
              Supplier<PrefixCache> prefixCache) {
        this.model = model;
        this.backendId = backendId;
        this.name = name;
        this.prefixCache = prefixCache;
        this.parallel = parallel;
        this.unifiedKv = unifiedKv;
        this.bySequence = new int[parallel];
        this.queued = queued;
        this.maxQueue = maxQueue;
        this.added = new int[parallel];
        this.thread = Thread.ofPlatform().daemon().name("mica-decode-" + name).unstarted(this::run);
        thread.start();
    }

    /** Queues a request; refused when the shared queue is full or the scheduler is stopping. */
    void submit(Sequence sequence, Shape shape, EventSink sink) throws InferenceException {
        synchronized (lock) {
            if (stopping) throw new InferenceException(Kind.UNAVAILABLE, "the model is being unloaded; try again");
            if (queued.incrementAndGet() > maxQueue) {
                queued.decrementAndGet();
                throw new InferenceException(Kind.UNAVAILABLE, "server busy: " + maxQueue + " requests are waiting already (mica.max_queue); try again later");
            }
            waiting.add(new Entry(sequence, shape, sink));
            lock.notifyAll();
        }
    }

    /** Sequences that may decode at once. */
    int parallel() {
        return parallel;
    }

    /** Requests waiting for a sequence. */
    int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /** Sequences decoding now. */
    int running() {
        synchronized (lock) {
            return active.size();
        }
    }

    /** Tokens per sequence of the current context; 0 before the first request. */
    int contextLength() {
        Shape s = shape;
        return s == null ? 0 : s.contextLength();
    }

    /** Cancels everything and interrupts a running decode (a drain that ran out of time). */
    void abort() {
        synchronized (lock) {
            waiting.forEach(e -> e.sequence().cancel());
            active.forEach(e -> e.sequence().cancel());
        }
        InferenceContext c = ctx;
        if (c != null) c.abort();
    }

    /**
     * Stops: requests still here end as cancelled, the context is closed. From another thread this
     * waits for the scheduler thread to finish; on it (a sequence's end unloaded the model), the
     * context is closed at once and the loop ends after the current step.
     */
    void close() {
        synchronized (lock) {
            stopping = true;
            lock.notifyAll();
        }
        if (Thread.currentThread() == thread) {
            closeContext();
            return;
        }
        abort();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- the scheduler thread ----------------------------------------------------------------

    private void run() {
        try {
            while (true) {
                if (!awaitWork()) break;
                admit();
                if (!active.isEmpty()) step();
            }
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "the scheduler of " + backendId + " failed; ending its requests", e);
            failAll(new InferenceException(Kind.INTERNAL, "the engine failed: " + e, e));
        } finally {
            endAll();
            closeContext();
        }
    }

    /** Waits until something is active or waiting; false when stopping. */
    private boolean awaitWork() {
        synchronized (lock) {
            while (!stopping && active.isEmpty() && waiting.isEmpty()) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return !stopping;
        }
    }

    /** Gives free sequences to waiting requests, in order; cancelled ones end without a sequence. */
    private void admit() {
        List<Entry> cancelled = null;
        synchronized (lock) {
            // wherever they stand in the queue: a client that left must not wait for those before it
            for (Iterator<Entry> it = waiting.iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (!e.sequence().cancelled()) continue;
                it.remove();
                queued.decrementAndGet();
                if (cancelled == null) cancelled = new ArrayList<>();
                cancelled.add(e);
            }
        }
        if (cancelled != null) cancelled.forEach(e -> end(e, DoneReason.CANCELLED));
        while (true) {
            Entry next;
            synchronized (lock) {
                next = waiting.peek();
                if (next == null) return;
                if (!next.sequence().cancelled()) {
                    boolean sameShape = next.shape().equals(shape) && ctx != null;
                    if (!sameShape && !active.isEmpty()) return; // the head waits for the running ones to finish
                    if (sameShape && !cache.anyFree()) return;
                }
                waiting.poll();
                queued.decrementAndGet();
            }
            if (next.sequence().cancelled()) {
                end(next, DoneReason.CANCELLED);
                continue;
            }
            Sequence s = next.sequence();
            try {
                if (!next.shape().equals(shape) || ctx == null) recreate(next.shape());
            } catch (BackendException | RuntimeException e) {
                fail(next, new InferenceException(e instanceof BackendException ? Kind.INTERNAL : Kind.INVALID_REQUEST,
                        "cannot create a context for the request: " + e.getMessage(), e));
                continue;
            }
            ContextCache.Placement placement;
            try {
                placement = cache.place(new ContextCache.Request(s.plan.prompt(), s.plan.conversation(), s.plan.boundaries()));
            } catch (BackendException | RuntimeException e) {
                LOG.log(Level.WARNING, "the prefix cache could not place a prompt", e);
                fail(next, new InferenceException(Kind.INTERNAL, "cannot restore the cached prefix: " + e.getMessage(), e));
                continue;
            }
            try {
                s.start(ctx, placement);
            } catch (BackendException | RuntimeException e) {
                cache.discard(placement);
                // the sampler is where a backend refuses what it cannot do, such as a grammar
                fail(next, new InferenceException(s.plan.constraint() != null ? Kind.INVALID_REQUEST : Kind.INTERNAL,
                        (s.plan.constraint() != null ? "the backend cannot apply the output format: " : "") + e.getMessage(), e));
                continue;
            }
            synchronized (lock) {
                active.add(next);
            }
        }
    }

    /**
     * A context of {@code parallel} sequences of {@code contextLength} tokens each. In one unified
     * KV memory (the default) a prefix cache shares a prefix between sequences by a partial copy
     * that costs no cells, and adds the cells it keeps prefixes in, so they never take room from a
     * running request. With a KV stream per sequence ({@code mica.kv_unified=false}, llama-server's
     * layout with {@code -np N}) each decode attends only its own stream; a parking sequence is then
     * a stream of a whole context, so there are as many as the cache's cell budget pays for.
     */
    private void recreate(Shape s) throws BackendException {
        closeContext();
        PrefixCache prefixes = prefixCache.get();
        boolean attention = switch (model.info().memoryKind()) {
            case ATTENTION, SLIDING_WINDOW -> true;
            case RECURRENT, HYBRID -> false;
        };
        int cacheCells = prefixes == null ? 0 : prefixes.residentCells(parallel, s.contextLength());
        int parking = prefixes == null ? 0 : parkingFor(prefixes.parkingSequences(parallel, attention), cacheCells, s);
        InferenceContext c = newContext(s, parking, cacheCells);
        if (parking > 0 && !c.memory().supportsPartialRemoval()) {
            // the model said attention, the memory says otherwise: a recurrent state per extra
            // sequence buys nothing where a tail cannot be dropped
            int fewer = parkingFor(prefixes.parkingSequences(parallel, false), cacheCells, s);
            if (fewer != parking) {
                c.close();
                parking = fewer;
                c = newContext(s, parking, cacheCells);
            }
        }
        if (!unifiedKv) cacheCells = parking * s.contextLength();
        ContextCache placing = null;
        if (prefixes != null) {
            try {
                placing = prefixes.open(new PrefixCache.Spec(name, c.memory(), parallel, parking, s.contextLength(), cacheCells, 0));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the prefix cache failed to open for " + name + "; sequences keep only their own turns", e);
            }
        }
        cache = placing != null ? placing : new SequenceSlots(parallel, c.memory());
        shape = s;
        batch = new Batch(c.batchCapacity());
        ctx = c;
    }

    private int parkingFor(int wanted, int cacheCells, Shape s) {
        return unifiedKv || wanted == 0 ? wanted : Math.min(wanted, Math.max(1, cacheCells / s.contextLength()));
    }

    private InferenceContext newContext(Shape s, int parking, int cacheCells) throws BackendException {
        int cells = unifiedKv ? s.contextLength() * parallel + cacheCells : s.contextLength() * (parallel + parking);
        return model.newContext(new ContextOptions(cells, parallel + parking, Math.min(s.batchSize(), cells), s.threads(), false, unifiedKv));
    }

    /** One batch: a token for each generating sequence, prompt chunks for the prefilling ones, a decode, then sampling. */
    private void step() {
        dropCancelled();
        if (active.isEmpty()) return;
        batch.clear();
        List<Entry> in = inBatch;
        in.clear();
        int n = active.size();
        // every generating sequence puts in its next token; prompt chunks fill the rest, earlier arrivals first
        int room = batch.capacity();
        for (int i = 0; i < n; i++) {
            if (!active.get(i).sequence().prefilling()) room--;
        }
        for (int i = 0; i < n; i++) {
            Sequence s = active.get(i).sequence();
            if (!s.prefilling()) {
                added[i] = 1;
            } else {
                added[i] = Math.max(0, Math.min(s.prefillLimit() - s.prefillPosition(), room));
                room -= added[i];
            }
        }
        for (int i = 0; i < n; i++) bySequence[i] = i;
        if (!unifiedKv) {
            // libllama splits a batch over KV streams into a pass per run of consecutive sequence
            // ids met in row order: rows ascending by sequence make it as few passes as can be
            for (int i = 1; i < n; i++) {
                int at = bySequence[i], slot = active.get(at).sequence().slot, j = i - 1;
                for (; j >= 0 && active.get(bySequence[j]).sequence().slot > slot; j--) bySequence[j + 1] = bySequence[j];
                bySequence[j + 1] = at;
            }
        }
        for (int k = 0; k < n; k++) {
            int i = bySequence[k];
            Sequence s = active.get(i).sequence();
            s.row = -1;
            if (!s.prefilling()) {
                s.row = batch.add(s.pendingToken(), s.position(), s.slot, true);
                continue;
            }
            int from = s.prefillPosition();
            for (int pos = from; pos < from + added[i]; pos++) {
                int row = batch.add(s.prompt(pos), pos, s.slot, pos == s.promptLength() - 1);
                if (pos == s.promptLength() - 1) s.row = row;
            }
        }
        for (int i = 0; i < active.size(); i++) {
            if (added[i] > 0) in.add(active.get(i));
        }
        DecodeResult result;
        try {
            result = ctx.decode(batch);
        } catch (BackendException | RuntimeException e) {
            LOG.log(Level.WARNING, "decode failed for " + in.size() + " sequence(s)", e);
            for (Entry e1 : in) failActive(e1, new InferenceException(Kind.INTERNAL, "decode failed: " + e.getMessage(), e));
            return;
        }
        if (result != DecodeResult.OK) {
            // ABORTED: a drain or a close cut it short, and part of it may be applied. NO_SPACE cannot
            // happen by construction (each sequence stays within its share of the cells); if it does,
            // the memory of the batch's sequences is not to be trusted either.
            for (Entry e : in) {
                if (result == DecodeResult.ABORTED) {
                    endActive(e, DoneReason.CANCELLED, false);
                } else {
                    failActive(e, new InferenceException(Kind.INTERNAL, "the context ran out of KV cells"));
                }
            }
            return;
        }
        for (int i = 0; i < active.size(); i++) {
            if (added[i] == 0) continue;
            Sequence s = active.get(i).sequence();
            s.decoded(added[i]);
            if (s.prefilling() && s.atCheckpoint()) cache.checkpoint(s.placement, s.tokens(), s.length());
        }
        finished.clear();
        reasons.clear();
        for (Entry e : in) {
            Sequence s = e.sequence();
            if (s.row < 0) continue;
            DoneReason reason;
            try {
                reason = s.sample(ctx, model.tokenizer());
            } catch (RuntimeException ex) {
                failActive(e, new InferenceException(Kind.INTERNAL, "sampling failed: " + ex.getMessage(), ex));
                continue;
            }
            if (reason != null) {
                finished.add(e);
                reasons.add(reason);
            }
        }
        for (int i = 0; i < finished.size(); i++) endActive(finished.get(i), reasons.get(i), true);
    }

    private void dropCancelled() {
        for (int i = active.size() - 1; i >= 0; i--) {
            Entry e = active.get(i);
            if (e.sequence().cancelled()) endActive(e, DoneReason.CANCELLED, true);
        }
    }

    /** An active sequence ends: its sequence keeps what it decoded ({@code keep}) or is emptied. */
    private void endActive(Entry e, DoneReason reason, boolean keep) {
        synchronized (lock) {
            active.remove(e);
        }
        Sequence s = e.sequence();
        if (ctx != null && s.placement != null) {
            if (keep) cache.finished(s.placement, s.tokens(), s.length(), s.timeToFirstToken());
            else cache.discard(s.placement);
        }
        end(e, reason);
    }

    private void end(Entry e, DoneReason reason) {
        Sequence s = e.sequence();
        Done done;
        try {
            done = s.finish(reason, backendId);
        } catch (RuntimeException ex) {
            fail(e, new InferenceException(Kind.INTERNAL, "ending the generation failed: " + ex.getMessage(), ex));
            return;
        }
        // released before the client hears of the end, so a keep_alive of 0 has unloaded by then
        s.plan.release().run();
        try {
            e.sink().accept(done);
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "an event sink failed on Done", ex);
        } finally {
            s.complete(done);
        }
    }

    private void failActive(Entry e, InferenceException error) {
        synchronized (lock) {
            active.remove(e);
        }
        if (ctx != null && e.sequence().placement != null) cache.discard(e.sequence().placement);
        fail(e, error);
    }

    private void fail(Entry e, InferenceException error) {
        e.sequence().plan.release().run();
        e.sequence().fail(error);
    }

    private void failAll(InferenceException error) {
        List<Entry> all;
        synchronized (lock) {
            all = new ArrayList<>(active);
            all.addAll(waiting);
            queued.addAndGet(-waiting.size());
            active.clear();
            waiting.clear();
        }
        for (Entry e : all) fail(e, error);
    }

    /** Stopping: what is still here ends as cancelled. */
    private void endAll() {
        List<Entry> all;
        synchronized (lock) {
            all = new ArrayList<>(active);
            all.addAll(waiting);
            queued.addAndGet(-waiting.size());
            active.clear();
            waiting.clear();
        }
        for (Entry e : all) end(e, DoneReason.CANCELLED);
    }

    private void closeContext() {
        InferenceContext c = ctx;
        ctx = null;
        shape = null;
        if (cache != null) {
            try {
                cache.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing the prefix cache failed", e);
            }
            cache = null;
        }
        if (c != null) c.close();
    }

    @Override
    public String toString() {
        return "Scheduler[" + backendId + ", " + active.size() + "/" + parallel + " active, " + waiting.size() + " waiting]";
    }
}
