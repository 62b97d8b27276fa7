package dev.mica.engine;

import dev.mica.api.backend.Backend;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.model.ModelDescriptor;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One model loaded on one backend, with its inference context. One generation runs at a time (the
 * lock); requests in flight are counted so that a retired runner (its backend left, or a better
 * one arrived) closes only when the last of them is done.
 */
final class ModelRunner {
    final ModelDescriptor model;
    final Backend backend;
    final LoadedModel loaded;
    final long loadNanos;
    private final ReentrantLock lock = new ReentrantLock(true);
    private InferenceContext context;
    private ContextOptions contextOptions;
    /** Tokens held by sequence 0 of the context: the next prompt reuses their common prefix. */
    private int[] cached = new int[0];
    private int inFlight;
    private boolean retired;
    private boolean closed;
    private Instant expiresAt;
    private Duration keepAlive;

    ModelRunner(ModelDescriptor model, Backend backend, LoadedModel loaded, long loadNanos, Duration keepAlive) {
        this.model = model;
        this.backend = backend;
        this.loaded = loaded;
        this.loadNanos = loadNanos;
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

    /** Asks a running decode to stop, for a drain that ran out of time. */
    void abort() {
        InferenceContext c = context;
        if (c != null) c.abort();
    }

    ReentrantLock lock() {
        return lock;
    }

    /** The context, created or re-created with the options asked for. Call with the lock held. */
    InferenceContext context(ContextOptions options) throws BackendException {
        if (context == null || !options.equals(contextOptions)) {
            if (context != null) context.close();
            context = null;
            cached = new int[0];
            context = loaded.newContext(options);
            contextOptions = options;
        }
        return context;
    }

    int contextLength() {
        ContextOptions o = contextOptions;
        return o == null ? 0 : o.contextLength();
    }

    /** Tokens in sequence 0. Call with the lock held. */
    int[] cachedTokens() {
        return cached;
    }

    void cachedTokens(int[] tokens, int length) {
        cached = Arrays.copyOf(tokens, length);
    }

    /** Frees the context and the model, once no generation holds the lock. */
    void close() {
        lock.lock();
        try {
            synchronized (this) {
                if (closed) return;
                closed = true;
            }
            if (context != null) context.close();
            context = null;
            loaded.close();
        } finally {
            lock.unlock();
        }
    }
}
