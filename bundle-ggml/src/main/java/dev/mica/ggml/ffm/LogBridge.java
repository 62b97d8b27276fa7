package dev.mica.ggml.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Routes llama.cpp's and ggml's log output (one global callback) to the {@link System.Logger}
 * {@code dev.mica.ggml.llama}, quietly: errors and warnings at DEBUG, the rest at TRACE. Without a
 * callback the libraries print every load step to stderr.
 *
 * <p>Errors are not logged louder because they reach the user anyway, better placed: libllama
 * reports a failure as a NULL or a -1 and explains it only in its log, so this bridge keeps the
 * last few error lines per thread and the callers fold them into their exceptions. Some errors
 * are expected, too: an aborted decode logs three of them.
 */
final class LogBridge {
    static final System.Logger LOG = System.getLogger("dev.mica.ggml.llama");

    // enum ggml_log_level
    private static final int INFO = 2, WARN = 3, ERROR = 4, CONT = 5;
    private static final int KEPT_ERRORS = 4;

    /** A message may arrive in pieces (CONT) and ends with a newline; collected per thread. */
    private static final ThreadLocal<Line> LINE = ThreadLocal.withInitial(Line::new);
    private static final ThreadLocal<Deque<String>> ERRORS = ThreadLocal.withInitial(ArrayDeque::new);

    private LogBridge() {}

    private static final class Line {
        final StringBuilder text = new StringBuilder();
        int level = INFO;
    }

    /**
     * The upcall stub for {@code ggml_log_callback}. It lives in the global arena: the libraries keep
     * the pointer for the life of the process, longer than any bundle revision.
     */
    static MemorySegment callback() {
        try {
            var target = MethodHandles.lookup().findStatic(LogBridge.class, "log",
                    MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
            return Linker.nativeLinker().upcallStub(target, FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** The callback. It must never throw: an exception escaping an upcall ends the JVM. */
    private static void log(int level, MemorySegment text, MemorySegment userData) {
        try {
            if (text.address() == 0) {
                return;
            }
            Line line = LINE.get();
            if (level != CONT) {
                line.level = level;
            }
            line.text.append(text.reinterpret(Long.MAX_VALUE).getString(0));
            int end = line.text.length();
            if (end == 0 || line.text.charAt(end - 1) != '\n') {
                return;
            }
            String message = line.text.substring(0, end - 1).strip();
            line.text.setLength(0);
            if (message.isEmpty()) {
                return;
            }
            if (line.level == ERROR) {
                Deque<String> errors = ERRORS.get();
                if (errors.size() == KEPT_ERRORS) {
                    errors.removeFirst();
                }
                errors.addLast(message);
            }
            LOG.log(line.level == ERROR || line.level == WARN ? Level.DEBUG : Level.TRACE, message);
        } catch (Throwable ignored) {
            // Logging is best effort; nothing may leave this method.
        }
    }

    /** Forgets this thread's recent native errors; call before an operation whose failure you explain. */
    static void clearErrors() {
        ERRORS.get().clear();
    }

    /** This thread's native error lines since {@link #clearErrors()}, joined, or "" when none. */
    static String errors() {
        return String.join("; ", ERRORS.get());
    }
}
