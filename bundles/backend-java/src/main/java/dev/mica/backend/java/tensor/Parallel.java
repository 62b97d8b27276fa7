package dev.mica.backend.java.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed pool of compute threads that runs one parallel loop at a time: the calling thread and
 * {@code threads - 1} workers take task indices from a shared counter until none are left.
 *
 * <p>A decode step runs a hundred or more loops per token, each a few microseconds to a
 * millisecond long, so handing work over must cost little: workers spin briefly on a generation
 * counter before they park, and the caller works too instead of waiting.
 */
public final class Parallel implements AutoCloseable {
    /** About how long an idle worker spins before parking: keeps it hot between the loops of one step. */
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    /** The loop being run; a worker that wakes late finds its counters exhausted and goes back to wait. */
    private volatile Job job;
    private volatile long generation;
    private volatile boolean closed;

    /** One parallel loop: its body, its size, and its own counters. */
    private record Job(IntConsumer body, int count, AtomicInteger next, AtomicInteger unfinished, Throwable[] failure) {
        void run() {
            int i;
            while ((i = next.getAndIncrement()) < count) {
                try {
                    body.accept(i);
                } catch (Throwable t) {
                    failure[0] = t;
                } finally {
                    unfinished.decrementAndGet();
                }
            }
        }
    }

    public Parallel(int threads, String name) {
        if (threads < 1) throw new IllegalArgumentException("threads must be positive: " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name(name + "-" + (i + 1)).start(this::work);
        }
    }

    /** A pool that runs everything on the calling thread. */
    public static Parallel serial() {
        return new Parallel(1, "mica-java");
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body.accept(i)} for every i in [0, count), spread over the pool; returns when
     * all are done, rethrowing what a task threw. One loop at a time, from one thread at a time.
     */
    public void forEach(int count, IntConsumer body) {
        if (count <= 0) return;
        if (threads == 1 || count == 1) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        if (closed) throw new IllegalStateException("the compute pool is closed");
        Job j = new Job(body, count, new AtomicInteger(), new AtomicInteger(count), new Throwable[1]);
        job = j;
        generation++;
        for (Thread w : workers) LockSupport.unpark(w);
        j.run();
        while (j.unfinished().get() > 0) Thread.onSpinWait();
        Throwable f = j.failure()[0];
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    private void work() {
        long seen = 0;
        while (!closed) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (generation == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000_000L);
                }
            }
            if (closed) return;
            seen = generation;
            Job j = job;
            if (j != null) j.run();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
