package dev.mica.kernel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.logging.LogManager;

/**
 * The JDK's LogManager, except that a reset during the JVM's shutdown waits for mica's shutdown
 * hooks. The JDK resets (removes and closes every handler) from a shutdown hook of its own, and the
 * JVM runs all hooks at once: whatever {@code mica serve} logged while stopping, "shutting down"
 * first, was lost whenever that reset came first, about every other time.
 *
 * <p>It must be the JVM's LogManager before anything logs: {@code bin/mica} passes
 * {@code -Djava.util.logging.manager=dev.mica.kernel.MicaLogManager}, and {@link Main} sets the same
 * property as its first act for other launchers.
 */
public class MicaLogManager extends LogManager {
    /** Hooks that have not finished, with what they count down when they have. */
    private static final Map<Thread, CountDownLatch> RUNNING = new ConcurrentHashMap<>();

    public MicaLogManager() {
        // LogManager's constructor is protected; the JDK instantiates this one by name.
    }

    /** A thread to register as a shutdown hook: it runs {@code work} while the JDK's reset waits for it. */
    public static Thread shutdownHook(String name, Runnable work) {
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            try {
                work.run();
            } finally {
                done.countDown();
            }
        }, name);
        RUNNING.put(hook, done);
        return hook;
    }

    @Override
    public void reset() {
        if (!RUNNING.isEmpty() && shuttingDown()) {
            RUNNING.forEach((hook, done) -> {
                // A hook that resets logging itself must not wait for itself.
                if (hook != Thread.currentThread()) awaitUninterruptibly(done);
            });
        }
        super.reset();
    }

    /**
     * The JVM refuses new shutdown hooks once it is shutting down; there is no other way to ask.
     * Every other reset (readConfiguration, a bundle's own) goes ahead at once.
     */
    static boolean shuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
