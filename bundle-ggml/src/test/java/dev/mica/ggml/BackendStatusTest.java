package dev.mica.ggml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.DeviceInfo;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.ProgressListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackendStatusTest {
    @Test
    void aMissingLibraryFolderLeavesTheBackendUnavailableWithTheReason() {
        GgmlBackend backend = new GgmlBackend();
        backend.start("/nonexistent/llama");
        assertFalse(backend.status().available());
        assertTrue(backend.status().detail().contains("/nonexistent/llama"), backend.status().detail());
        assertTrue(backend.status().detail().contains("does not exist"), backend.status().detail());
        assertEquals(List.of(), backend.devices());
        assertFalse(backend.supports(TestSupport.descriptor(TestSupport.generatedModel())));
        BackendException e = assertThrows(BackendException.class, () -> backend.load(
                TestSupport.descriptor(TestSupport.generatedModel()), LoadOptions.DEFAULT, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
    }

    @Test
    void aFolderWithoutLibllamaSaysWhatIsMissing(@TempDir Path empty) {
        GgmlBackend backend = new GgmlBackend();
        backend.start(empty.toString());
        assertFalse(backend.status().available());
        assertTrue(backend.status().detail().contains("no libggml-base in " + empty), backend.status().detail());
    }

    @Test
    void noConfiguredFolderIsReportedAsSuch() {
        GgmlBackend backend = new GgmlBackend();
        backend.start(null);
        assertFalse(backend.status().available());
        assertTrue(backend.status().detail().contains("mica.llama.path"), backend.status().detail());
    }

    @Test
    void theFetchedNativesRunOnTheCpu() {
        GgmlBackend backend = TestSupport.backend();
        assertTrue(backend.status().available(), backend.status().detail());
        assertEquals("ggml", backend.id());
        assertEquals(java.util.Set.of("gguf"), backend.formats());
        List<DeviceInfo> devices = backend.devices();
        assertTrue(devices.stream().anyMatch(d -> d.kind().equals("cpu")), devices.toString());
        assertTrue(backend.supports(TestSupport.descriptor(TestSupport.generatedModel())));
    }

    /**
     * Libraries from a second folder would bind to the ggml already in the process by SONAME: the
     * backend refuses them instead of loading them.
     */
    @Test
    void aSecondLibraryFolderInTheSameProcessIsRefused(@TempDir Path copy) throws IOException {
        TestSupport.backend();
        try (var files = Files.list(TestSupport.llamaPath())) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        GgmlBackend other = new GgmlBackend();
        other.start(copy.toString());
        assertFalse(other.status().available());
        assertTrue(other.status().detail().contains("already loaded"), other.status().detail());
    }
}
