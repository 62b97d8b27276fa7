package dev.mica.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Finds programs on a PATH given as data, so tests can point it at stand-ins. */
final class Programs {
    private Programs() {}

    /** The first executable file named {@code program} in the environment's PATH, or null. */
    static Path which(Map<String, String> env, String program) {
        String path = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isBlank()) continue;
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) return p;
        }
        return null;
    }
}
