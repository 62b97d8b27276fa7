package dev.mica.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Whether a standard stream is a terminal, from POSIX {@code isatty}: Java's {@code System.console()}
 * answers for stdin and stdout together, while a CLI must know about each (a prompt piped in, an
 * answer shown on screen; progress bars only where stderr is a terminal).
 */
final class Tty {
    private static final MethodHandle ISATTY = lookup();

    private Tty() {}

    private static MethodHandle lookup() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("isatty")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access: treat every stream as redirected, the safe choice
        }
    }

    /** fd 0, 1 or 2. */
    static boolean isTerminal(int fd) {
        if (ISATTY == null) return false;
        try {
            return (int) ISATTY.invokeExact(fd) == 1;
        } catch (Throwable e) {
            return false;
        }
    }
}
