package dev.mica.cli;

import java.io.PrintStream;

/**
 * A spinner on stderr while something without progress numbers runs (loading a model). Only on a
 * terminal; elsewhere it prints nothing, so logs stay clean.
 */
final class Spinner implements AutoCloseable {
    private static final String FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

    private final PrintStream err;
    private final Thread thread;
    private volatile boolean running = true;

    private Spinner(PrintStream err, boolean terminal, String text) {
        this.err = err;
        this.thread = terminal ? Thread.ofPlatform().daemon().name("mica-spinner").start(() -> spin(text)) : null;
    }

    static Spinner start(PrintStream err, boolean terminal, String text) {
        return new Spinner(err, terminal, text);
    }

    private void spin(String text) {
        for (int i = 0; running; i++) {
            synchronized (err) {
                err.print("\r" + FRAMES.charAt(i % FRAMES.length()) + " " + text + "\033[K");
                err.flush();
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        if (thread == null) return;
        running = false;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (err) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
