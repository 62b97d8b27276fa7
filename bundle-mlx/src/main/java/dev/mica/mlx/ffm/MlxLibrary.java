package dev.mica.mlx.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Finds and maps libmlxc (and the libmlx it links) once per process. Like llama.cpp's libraries
 * (see bundle-ggml's {@code Natives}) they are never unloaded: a later bundle revision reuses them,
 * and a second folder is refused rather than mixing two MLX builds in one process.
 */
public final class MlxLibrary {
    /** Framework or system property naming the folder of libmlxc; the kernel maps {@code MICA_MLX_PATH} to it. */
    public static final String PATH_PROPERTY = "mica.mlx.path";
    public static final String PATH_ENV = "MICA_MLX_PATH";
    private static final String LOADED_FROM = "dev.mica.mlx.loaded-from";

    private static SymbolLookup lookup;

    private MlxLibrary() {}

    /** Thrown when the library cannot be used; the message is the backend's "unavailable" reason. */
    public static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message) {
            super(message);
        }
    }

    public static String fileName(String base) {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        return os.contains("mac") ? "lib" + base + ".dylib" : os.contains("win") ? base + ".dll" : "lib" + base + ".so";
    }

    /** The configured folder: the property if set, else the environment variable; null when neither is. */
    public static String configured(String property) {
        if (property != null && !property.isBlank()) return property;
        String env = System.getenv(PATH_ENV);
        return env == null || env.isBlank() ? null : env;
    }

    public static synchronized SymbolLookup load(String folder) throws Unavailable {
        if (folder == null) {
            throw new Unavailable("no MLX library folder configured: set " + PATH_PROPERTY + " (or " + PATH_ENV
                    + ") to a folder holding " + fileName("mlxc"));
        }
        Path dir = Path.of(folder).toAbsolutePath().normalize();
        Path mlxc = dir.resolve(fileName("mlxc"));
        if (!Files.isRegularFile(mlxc)) {
            throw new Unavailable("no " + mlxc.getFileName() + " in " + dir + " (" + PATH_PROPERTY + "/" + PATH_ENV + ")");
        }
        String previous = System.getProperty(LOADED_FROM);
        if (previous != null && !previous.equals(dir.toString())) {
            throw new Unavailable("MLX is already loaded from " + previous + " in this process; restart to use " + dir);
        }
        if (lookup != null) return lookup;
        try {
            // libmlx first when it sits beside libmlxc: a missing dependency then fails with its own name.
            Path mlx = dir.resolve(fileName("mlx"));
            SymbolLookup l = SymbolLookup.libraryLookup(mlxc, Arena.global());
            if (Files.isRegularFile(mlx)) l = SymbolLookup.libraryLookup(mlx, Arena.global()).or(l);
            System.setProperty(LOADED_FROM, dir.toString());
            lookup = l;
            return l;
        } catch (IllegalArgumentException | IllegalCallerException e) {
            throw new Unavailable("cannot load " + mlxc + ": " + e.getMessage());
        }
    }
}
