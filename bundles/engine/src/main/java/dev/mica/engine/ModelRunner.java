package dev.mica.engine;

import dev.mica.api.backend.Backend;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.cache.PrefixCache;
import dev.mica.api.model.ModelDescriptor;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One model loaded on one backend, with the {@link Scheduler} that decodes its requests. Requests
 * in flight (queued or decoding) are counted so that a retired runner (its backend left, or a
 * better one arrived, or its keep-alive ran out) closes only when the last of them is done.
 */
final class ModelRunner {
    final ModelDescriptor model;
    final Backend backend;
    final LoadedModel loaded;
    final long loadNanos;
    final Scheduler scheduler;
    /** Embeddings use a context of their own, one request at a time. */
    private final ReentrantLock embedLock = new ReentrantLock(true);
    private int inFlight;
    private boolean retired;
    private boolean closed;
    private Instant expiresAt;
    private Duration keepAlive;

    /** @param queued requests waiting over all models (the engine's bounded queue) */
    ModelRunner(ModelDescriptor model, Backend backend, LoadedModel loaded, long loadNanos, Duration keepAlive,
                int parallel, boolean unifiedKv, AtomicInteger queued, int maxQueue, Supplier<PrefixCache> prefixCache) {
        this.model = model;
        this.backend = backend;
        this.loaded = loaded;
        this.loadNanos = loadNanos;
        this.scheduler = new Scheduler(loaded, backend.id(), model.name(), parallel, unifiedKv, queued, maxQueue, prefixCache);
        keepAlive(keepAlive);
    }

    /** Registers a request; false if the runner is retired or closed and must not take new work. */
    synchronized boolean enter() {
        if (retired || closed) return false;
        inFlight++;
        expiresAt = null;
        return true;
    }

    /** A request is done: restarts the keep-alive clock; closes a retired runner when idle. */
    void exit() {
        boolean closeNow;
        synchronized (this) {
            inFlight--;
            keepAlive(keepAlive);
            closeNow = retired && inFlight == 0;
        }
        if (closeNow) close();
    }

    synchronized void keepAlive(Duration keepAlive) {
        this.keepAlive = keepAlive;
        if (inFlight == 0) {
            expiresAt = keepAlive.isNegative() ? null : Instant.now().plus(keepAlive);
        }
    }

    synchronized boolean expired(Instant now) {
        return inFlight == 0 && expiresAt != null && !now.isBefore(expiresAt);
    }

    synchronized Instant expiresAt() {
        return expiresAt;
    }

    synchronized int inFlight() {
        return inFlight;
    }

    synchronized boolean retired() {
        return retired || closed;
    }

    /** Stops new work; closes now if idle, otherwise when the last request exits. */
    void retire() {
        boolean closeNow;
        synchronized (this) {
            retired = true;
            closeNow = inFlight == 0;
        }
        if (closeNow) close();
    }

    /** Cancels the requests and interrupts a running decode, for a drain that ran out of time. */
    void abort() {
        scheduler.abort();
    }

    ReentrantLock embedLock() {
        return embedLock;
    }

    int contextLength() {
        return scheduler.contextLength();
    }

    /** Stops the scheduler (its requests end as cancelled), then frees the model. Idempotent. */
    void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        scheduler.close();
        embedLock.lock();
        try {
            loaded.close();
        } finally {
            embedLock.unlock();
        }
    }
}
