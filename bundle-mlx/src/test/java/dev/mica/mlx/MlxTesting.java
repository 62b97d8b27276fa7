package dev.mica.mlx;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mica.mlx.ffm.MlxLibrary;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the tests find libmlxc; tests that need it skip, saying why, where there is none (CI). */
final class MlxTesting {
    private static MlxRuntime runtime;

    private MlxTesting() {}

    /** The folder holding libmlxc, or the calling test is skipped. */
    static String folder() {
        String folder = MlxLibrary.configured(System.getProperty(MlxLibrary.PATH_PROPERTY));
        boolean present = folder != null && Files.isRegularFile(Path.of(folder, MlxLibrary.fileName("mlxc")));
        assumeTrue(present, () -> "skipped: MICA_MLX_PATH/mica.mlx.path has no " + MlxLibrary.fileName("mlxc") + " (" + folder
                + "); build MLX and mlx-c and point -Dmica.mlx.path at their lib folder to run this test");
        return folder;
    }

    static synchronized MlxRuntime runtime() throws Exception {
        if (runtime == null) runtime = MlxRuntime.start(folder());
        return runtime;
    }
}
