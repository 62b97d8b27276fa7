package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Shows the progress objects of pull and create (and blob uploads) on stderr. On a terminal each
 * status gets one line, redrawn in place while its bytes arrive, with a bar, sizes, speed and time
 * left, as Ollama draws them:
 * <pre>pulling 74701a8c35f6:  45% ▕███████         ▏ 600 MB/1.3 GB   35 MB/s     20s</pre>
 * Elsewhere (a log, a pipe) each status is printed once, without carriage returns. A status
 * without bytes that comes again ("verifying sha256 digest" after each blob) keeps its one line.
 */
final class ProgressDisplay {
    private static final int BAR = 25;
    private static final long REDRAW_NS = 100_000_000L;

    private final PrintStream err;
    private final boolean terminal;
    private final Set<String> shown = new HashSet<>();
    private String current;
    private long total;
    private long completed;
    private long startedAt;
    private long startedWith;
    private long lastDraw;

    ProgressDisplay(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** One of Ollama's progress objects: {@code status}, and {@code total}/{@code completed} for bytes. */
    void update(JsonNode p) {
        update(p.path("status").asText(""), p.path("total").asLong(0), p.path("completed").asLong(0));
    }

    synchronized void update(String status, long total, long completed) {
        if (status.isEmpty()) return;
        long now = System.nanoTime();
        if (!status.equals(current)) {
            if (total <= 0 && !shown.add(status)) return;
            endLine();
            current = status;
            startedAt = now;
            startedWith = completed;
            this.total = total;
            this.completed = completed;
            if (!terminal) {
                err.println(total > 0 ? status + " (" + Format.bytes(total) + ")" : status);
                return;
            }
            draw(now);
            return;
        }
        this.total = Math.max(this.total, total);
        this.completed = completed;
        if (terminal && (now - lastDraw >= REDRAW_NS || completed >= total)) draw(now);
    }

    /** Ends the current line; the next status starts a new one. */
    synchronized void finish() {
        endLine();
    }

    private void endLine() {
        if (current == null) return;
        if (terminal) {
            draw(System.nanoTime());
            err.print('\n');
        }
        err.flush();
        current = null;
    }

    private void draw(long now) {
        lastDraw = now;
        err.print("\r" + line(now) + "\033[K");
        err.flush();
    }

    String line(long now) {
        if (total <= 0) return current;
        int pct = (int) Math.min(100, completed * 100 / total);
        int filled = (int) Math.min(BAR, completed * BAR / total);
        StringBuilder sb = new StringBuilder(current).append(": ");
        sb.append(String.format(Locale.ROOT, "%3d%% ", pct)).append('▕').append("█".repeat(filled)).append(" ".repeat(BAR - filled)).append("▏ ");
        sb.append(Format.bytes(completed)).append('/').append(Format.bytes(total));
        double seconds = (now - startedAt) / 1e9;
        long done = completed - startedWith;
        if (completed < total && seconds > 0.5 && done > 0) {
            double rate = done / seconds;
            long left = (long) ((total - completed) / rate);
            sb.append(String.format(Locale.ROOT, "  %8s/s  %6s", Format.bytes((long) rate), left >= 3600 ? left / 3600 + "h" + left % 3600 / 60 + "m"
                    : left >= 60 ? left / 60 + "m" + left % 60 + "s" : left + "s"));
        }
        return sb.toString();
    }
}
