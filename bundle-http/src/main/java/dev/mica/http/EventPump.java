package dev.mica.http;

import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Carries one generation's events from the engine thread to the request thread that writes them.
 *
 * <p>The engine calls {@link #accept} and must never block on a slow client: it may decode several
 * sequences on the same thread. So events go into a queue the request thread drains. The queue is
 * bounded by {@link #MAX_BACKLOG}: a client that stops reading while the engine keeps producing
 * gets its generation cancelled rather than growing memory without end.
 *
 * <p>The request thread ends when the Done event arrives, when {@link Generation#result()} fails,
 * or when a write fails (the client went away): then the generation is cancelled at once.
 */
final class EventPump implements Inference.EventSink {
    static final int MAX_BACKLOG = 16_384;
    private static final System.Logger LOG = System.getLogger("mica.http");

    /** Receives events on the request thread; an IOException means the client is gone. */
    @FunctionalInterface
    interface Listener {
        void on(GenerationEvent event) throws IOException;
    }

    private sealed interface Item {}

    private record Event(GenerationEvent event) implements Item {}

    private record Failure(Throwable error) implements Item {}

    private record Finished(GenerationEvent.Done done) implements Item {}

    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final Consumer<EventPump> onClose;
    private final ServerMetrics metrics;
    private final long openedAt = System.nanoTime();
    private volatile Generation generation;
    private volatile boolean cancelRequested;
    private volatile boolean closed;

    /**
     * @param onClose run once the pump is done with, so a registry can forget it
     * @param metrics told of the first event's latency and of the generation's end
     */
    EventPump(Consumer<EventPump> onClose, ServerMetrics metrics) {
        this.onClose = onClose;
        this.metrics = metrics;
    }

    @Override
    public void accept(GenerationEvent event) {
        if (closed) {
            return; // the request is over (client gone): the rest of a cancelled generation is dropped
        }
        if (!(event instanceof GenerationEvent.Done) && queue.size() >= MAX_BACKLOG) {
            LOG.log(Level.WARNING, "client is not reading its stream ({0} events behind): cancelling the generation", MAX_BACKLOG);
            queue.add(new Failure(new InferenceException(InferenceException.Kind.UNAVAILABLE, "client too slow: stream backlog exceeded")));
            cancel();
            closed = true;
            return;
        }
        queue.add(new Event(event));
    }

    /** Starts a generation, given the sink its events go to. */
    @FunctionalInterface
    interface Start {
        Generation start(Inference.EventSink sink) throws InferenceException;
    }

    /**
     * Starts a generation that sends its events to this pump. When the engine refuses it at once
     * the pump is released here, since no {@link #drain} will follow to do it.
     */
    Generation start(Start start) throws InferenceException {
        try {
            return start.start(this);
        } catch (InferenceException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Drains events to the listener until the generation is done, and returns its Done event.
     *
     * @throws InferenceException the generation failed (before or after some events)
     * @throws IOException the client went away; the generation has been cancelled
     */
    GenerationEvent.Done drain(Generation g, Listener listener) throws InferenceException, IOException, InterruptedException {
        this.generation = g;
        if (cancelRequested) {
            g.cancel();
        }
        g.result().whenComplete((done, error) -> queue.add(error != null ? new Failure(error) : new Finished(done)));
        boolean first = true;
        try {
            while (true) {
                Item item = queue.poll(1, TimeUnit.MINUTES);
                if (item == null) {
                    continue; // a long prompt or model load: nothing to say yet
                }
                if (first && item instanceof Event) {
                    metrics.firstToken(System.nanoTime() - openedAt);
                    first = false;
                }
                switch (item) {
                    case Event(GenerationEvent.Done done) -> {
                        metrics.generation(done);
                        listener.on(done);
                        return done;
                    }
                    case Event(GenerationEvent event) -> listener.on(event);
                    case Finished(GenerationEvent.Done done) -> {
                        // result() completed before the sink saw a Done: trust the result.
                        metrics.generation(done);
                        listener.on(done);
                        return done;
                    }
                    case Failure(Throwable error) -> throw asInferenceException(error);
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            cancel();
            throw e;
        } finally {
            close();
        }
    }

    /** Cancels the generation (idempotent; safe before {@link #drain} has started). */
    void cancel() {
        cancelRequested = true;
        Generation g = generation;
        if (g != null) {
            try {
                g.cancel();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cancel failed", e);
            }
        }
    }

    /** Ends the request from outside (server stopping): cancels and wakes the request thread. */
    void abort(String reason) {
        queue.add(new Failure(new InferenceException(InferenceException.Kind.UNAVAILABLE, reason)));
        cancel();
    }

    /** Releases the pump without draining (the engine refused the request synchronously). */
    void close() {
        closed = true;
        onClose.accept(this);
    }

    private static InferenceException asInferenceException(Throwable t) {
        Throwable e = ApiError.unwrap(t);
        if (e instanceof InferenceException ie) {
            return ie;
        }
        return new InferenceException(InferenceException.Kind.INTERNAL, "generation failed: " + e, e);
    }
}
