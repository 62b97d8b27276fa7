package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ProgressListener;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without libmlxc the backend is there, unavailable, and says why; nothing throws. Runs everywhere. */
class MlxBackendStatusTest {
    @TempDir Path dir;

    @Test
    void missingLibraryMakesTheBackendUnavailableWithTheReason() {
        MlxBackend backend = new MlxBackend(dir.toString(), List.of());
        assertFalse(backend.status().available());
        String reason = backend.status().detail();
        assertTrue(reason.contains("libmlxc") && reason.contains(dir.getFileName().toString()), reason);
        assertTrue(backend.devices().isEmpty());
        BackendException e = assertThrows(BackendException.class, () -> backend.load(dir.resolve("x.gguf"), "x", ProgressListener.NONE));
        assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
    }

    @Test
    void gpuGenerationAndNeuralAcceleratorCheck() {
        assertTrue(Metal.generation("applegpu_g17s") == 17);
        assertTrue(Metal.generation("applegpu_g15p") == 15);
        assertTrue(Metal.generation(null) == -1);
        assertTrue(Metal.naxPossible("applegpu_g17s", "Mac OS X", "26.2"));
        assertFalse(Metal.naxPossible("applegpu_g17s", "Mac OS X", "26.1"));
        assertFalse(Metal.naxPossible("applegpu_g16s", "Mac OS X", "26.3"));
        assertFalse(Metal.naxPossible("applegpu_g17s", "Linux", "6.1"));
    }

    /** The route the status (and so /api/ps) reports: the CPU here, no custom kernel; "Metal GPU ..., NAX possible/no NAX" on a Mac, "CUDA GPU ..." with CUDA. */
    @Test
    void theStatusSaysWhereMlxRuns() {
        MlxBackend backend = new MlxBackend(MlxTesting.folder(), List.of());
        assertTrue(backend.status().available(), backend.status().detail());
        String detail = backend.status().detail();
        boolean gpu = backend.devices().getFirst().kind().equals("gpu");
        assertTrue(gpu ? detail.startsWith("MLX on Metal GPU") && detail.contains("NAX") || detail.startsWith("MLX on CUDA GPU")
                : detail.startsWith("MLX on CPU, MLX ") && !detail.contains("fused"), detail);
    }
}
