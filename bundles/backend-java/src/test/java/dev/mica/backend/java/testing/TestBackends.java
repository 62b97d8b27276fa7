package dev.mica.backend.java.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.backend.java.JavaBackend;
import dev.mica.backend.java.Numerics;
import dev.mica.ggml.GgmlBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The two backends the architecture tests compare: llama.cpp's (the reference, over the natives the
 * build fetched) and the Java one, with the architectures a test names. Models load with one
 * compute thread: they are tiny, and the build machine has two busy cores.
 */
public final class TestBackends {
    private static GgmlBackend ggml;

    private TestBackends() {}

    /** llama.cpp through FFM; the natives must be there (the native module builds first). */
    public static synchronized GgmlBackend ggml() {
        if (ggml == null) {
            String path = System.getProperty("mica.llama.path");
            assertNotNull(path, "mica.llama.path is not set: run the tests through Maven");
            GgmlBackend b = new GgmlBackend(Path.of(path));
            assertTrue(b.status().available(), () -> "natives at " + path + " unusable: " + b.status().detail());
            ggml = b;
        }
        return ggml;
    }

    /** A Java backend that rounds attention as llama.cpp does, for differential tests. */
    public static JavaBackend java(ModelArchitecture... architectures) {
        return new JavaBackend(List.of(architectures), Numerics.LLAMA_CPP);
    }

    /** A Java backend computing attention exactly in float. */
    public static JavaBackend exact(ModelArchitecture... architectures) {
        return new JavaBackend(List.of(architectures), Numerics.EXACT);
    }

    public static ModelDescriptor descriptor(Path file) {
        return new ModelDescriptor(file.getFileName().toString(), "gguf", file, null, 0, null, null, null, Map.of(), null, null);
    }

    public static LoadedModel loadGgml(Path file) throws BackendException {
        return ggml().load(descriptor(file), new LoadOptions(0, true, 1), ProgressListener.NONE);
    }

    public static LoadedModel loadJava(JavaBackend backend, Path file) throws BackendException {
        return backend.load(descriptor(file), new LoadOptions(0, true, 1), ProgressListener.NONE);
    }

    /** A model from ../shared/models; the calling test is skipped, saying so, where it is absent. */
    public static Path sharedModel(String file) {
        String dir = System.getProperty("mica.test.models");
        Path p = dir == null ? null : Path.of(dir, file);
        assumeTrue(p != null && Files.isRegularFile(p), () -> "skipped: " + file + " is not in ../shared/models (" + dir + ")");
        return p;
    }
}
