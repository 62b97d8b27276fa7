package dev.mica.cli;

import java.io.PrintStream;

/**
 * A spinner on stderr while something without progress numbers runs (loading a model, waiting for
 * an answer's first token). Only on a terminal; elsewhere it prints nothing, so logs and pipes stay
 * clean.
 */
final class Spinner implements AutoCloseable {
    static final String FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

    private final PrintStream err;
    private final String text;
    private final Thread thread;
    // Read and written under err's lock, so that no frame is drawn after the line was cleared.
    private boolean running;

    private Spinner(PrintStream err, boolean terminal, String text) {
        this.err = err;
        this.text = text.isEmpty() ? "" : " " + text;
        this.running = terminal;
        // The first frame at once: a wait shorter than a frame still shows that something happens.
        draw(0);
        this.thread = terminal ? Thread.ofPlatform().daemon().name("mica-spinner").start(this::spin) : null;
    }

    /** A spinner showing {@code text} after its frames; empty text shows the frames alone, as Ollama's does. */
    static Spinner start(PrintStream err, boolean terminal, String text) {
        return new Spinner(err, terminal, text);
    }

    private void spin() {
        for (int i = 1; ; i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            if (!draw(i)) return;
        }
    }

    /** Draws a frame unless stopped; false once stopped. */
    private boolean draw(int frame) {
        synchronized (err) {
            if (!running) return false;
            err.print("\r" + FRAMES.charAt(frame % FRAMES.length()) + text + "\033[K");
            err.flush();
            return true;
        }
    }

    /** Clears the spinner's line, once: what is written next starts on a clean line. */
    @Override
    public void close() {
        synchronized (err) {
            if (!running) return;
            running = false;
            err.print("\r\033[K");
            err.flush();
        }
        thread.interrupt();
    }
}
