package dev.mica.ggml.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads libllama and its ggml libraries once, and initializes them once.
 *
 * <p>Their state is per process, and so is what mica does to it: backends registered, the log
 * callback, the libraries mapped. A bundle, though, may be stopped, updated and started again, each
 * time with a fresh class loader and so fresh statics. Two rules keep that safe:
 * <ul>
 *   <li>Nothing is ever unloaded or torn down: libraries live in the global arena, and
 *       {@code llama_backend_free} is never called (it frees ggml's quantization tables, which the
 *       still-mapped libraries, and the next bundle revision, go on using).</li>
 *   <li>Which folder the libraries came from is recorded in a JVM-wide system property. A second
 *       load from the same folder reuses the mapped libraries (dlopen counts references) and skips
 *       backend registration, which the process already holds. A load from another folder is refused:
 *       the dynamic linker would resolve the new libllama against the already loaded libggml-base by
 *       its SONAME, mixing two builds in one process.</li>
 * </ul>
 */
public final class Natives {
    /** JVM-wide record of the folder the libraries were loaded from (see the class comment). */
    static final String LOADED_FROM = "dev.mica.ggml.natives.loaded-from";

    private static Llama llama;
    private static Path loadedDir;
    /** A failure after the libraries were mapped cannot be retried: they stay in the process. */
    private static String permanentFailure;

    private Natives() {}

    /** Thrown when the libraries cannot be used; the message says why, for the backend's status. */
    public static final class UnavailableException extends Exception {
        private static final long serialVersionUID = 1L;

        UnavailableException(String message) {
            super(message);
        }
    }

    /**
     * The bindings over the libraries in {@code dir}, loading and initializing them on first use.
     * Safe to call again: later calls return the same bindings, or the same failure.
     */
    public static synchronized Llama load(Path dir) throws UnavailableException {
        Path folder = dir.toAbsolutePath().normalize();
        if (llama != null && folder.equals(loadedDir)) {
            return llama;
        }
        // What is wrong with the folder itself is the more useful answer, so it is checked first.
        Path ggmlBase = library(folder, "ggml-base");
        Path ggml = library(folder, "ggml");
        Path libllama = library(folder, "llama");
        if (llama != null) {
            throw new UnavailableException(alreadyLoaded(loadedDir, folder));
        }
        if (permanentFailure != null) {
            throw new UnavailableException(permanentFailure);
        }

        String previous = System.getProperty(LOADED_FROM);
        if (previous != null && !previous.equals(folder.toString())) {
            throw new UnavailableException(alreadyLoaded(Path.of(previous), folder));
        }
        System.setProperty(LOADED_FROM, folder.toString());
        try {
            llama = initialize(folder, ggmlBase, ggml, libllama, previous != null);
            loadedDir = folder;
            return llama;
        } catch (UnavailableException e) {
            permanentFailure = e.getMessage();
            throw e;
        } catch (RuntimeException | LinkageError e) {
            permanentFailure = "cannot load the llama.cpp libraries from " + folder + ": " + e.getMessage();
            throw new UnavailableException(permanentFailure);
        }
    }

    private static Llama initialize(Path folder, Path ggmlBase, Path ggml, Path libllama, boolean loadedBefore)
            throws UnavailableException {
        // Read by ggml at abort time: an abort must not fork a debugger to print a backtrace.
        setEnvIfAbsent("GGML_NO_BACKTRACE", "1");

        // Dependencies first, though RUNPATH $ORIGIN would find them: a missing one then fails with
        // its own name instead of "cannot open shared object file" for libllama.
        SymbolLookup symbols = SymbolLookup.libraryLookup(ggmlBase, Arena.global())
                .or(SymbolLookup.libraryLookup(ggml, Arena.global()))
                .or(SymbolLookup.libraryLookup(libllama, Arena.global()));
        Llama bindings = new Llama(symbols);

        // Before anything logs: without a callback ggml prints every step of backend loading to stderr.
        bindings.logSet(LogBridge.callback(), MemorySegment.NULL);

        // The CPU backend variants are separate libraries (libggml-cpu-zen4.so, ...), not linked in:
        // load them before llama_backend_init, or model loading fails with "no backends are loaded".
        // A previous bundle revision already registered them for this process.
        if (!loadedBefore || bindings.backendDevCount() == 0) {
            try (Arena arena = Arena.ofConfined()) {
                bindings.backendLoadAllFromPath(arena.allocateFrom(folder.toString()));
            }
        }
        if (bindings.backendDevCount() == 0) {
            throw new UnavailableException("no ggml backend in " + folder
                    + " could be loaded (libggml-cpu-*.so or a GPU backend library is needed next to libllama)");
        }
        // Idempotent; it initializes ggml's timer and fp16 tables.
        bindings.backendInit();
        return bindings;
    }

    private static String alreadyLoaded(Path loaded, Path wanted) {
        return "llama.cpp libraries from " + loaded + " are already loaded in this process; restart mica to use "
                + wanted;
    }

    /**
     * The library file for {@code name} in the folder: {@code libllama.so}, a versioned
     * {@code libllama.v0.5.0.so} (the npm builds), {@code libllama.dylib}, or {@code llama.dll}.
     * Not {@code libllama-common.so}, nor {@code libggml-base} when asked for {@code ggml}.
     */
    static Path library(Path folder, String name) throws UnavailableException {
        if (!Files.isDirectory(folder)) {
            throw new UnavailableException("llama.cpp library folder " + folder
                    + " does not exist; set mica.llama.path (or MICA_LLAMA_PATH) to the folder holding libllama");
        }
        Pattern pattern = Pattern.compile("(lib)?" + Pattern.quote(name) + "(\\.[^-]*)?\\.(so|dylib|dll)(\\.[0-9]+)*");
        try (Stream<Path> files = Files.list(folder)) {
            Optional<Path> found = files
                    .filter(p -> pattern.matcher(p.getFileName().toString()).matches())
                    .min(Comparator.comparingInt((Path p) -> p.getFileName().toString().length()).thenComparing(Path::toString));
            return found.orElseThrow(() -> new UnavailableException("no lib" + name + " in " + folder
                    + "; set mica.llama.path (or MICA_LLAMA_PATH) to the folder holding libllama and libggml"));
        } catch (IOException e) {
            throw new UnavailableException("cannot list " + folder + ": " + e.getMessage());
        }
    }

    /**
     * Sets an environment variable for the native libraries through libc: Java has no setenv.
     * Done before other threads use the libraries, as setenv is not safe against concurrent getenv.
     */
    private static void setEnvIfAbsent(String name, String value) {
        if (System.getenv(name) != null || System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
            return;
        }
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> setenv = linker.defaultLookup().find("setenv");
        if (setenv.isEmpty()) {
            return;
        }
        MethodHandle handle = linker.downcallHandle(setenv.get(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) handle.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0);
            if (rc != 0) {
                LogBridge.LOG.log(System.Logger.Level.DEBUG, "setenv " + name + " failed");
            }
        } catch (Throwable t) {
            LogBridge.LOG.log(System.Logger.Level.DEBUG, "setenv " + name + " failed", t);
        }
    }

    /** Forgets this thread's recent native error lines; see {@link #nativeErrors()}. */
    public static void clearNativeErrors() {
        LogBridge.clearErrors();
    }

    /**
     * The native error lines this thread logged since {@link #clearNativeErrors()}: libllama explains
     * a NULL or -1 only in its log. Empty when there were none.
     */
    public static String nativeErrors() {
        return LogBridge.errors();
    }

    /** Appends the native explanation, if any, to a message. */
    public static String withNativeErrors(String message) {
        String errors = nativeErrors();
        return errors.isEmpty() ? message : message + " (llama.cpp: " + errors + ")";
    }
}
