package dev.mica.gguf;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared test models are: the repository root's sibling folder {@code shared/models}. */
final class TestFiles {
    private TestFiles() {}

    static Path sharedModels() {
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        return base.resolve("../../../shared/models").normalize();
    }

    static boolean haveSharedModels() {
        return Files.isDirectory(sharedModels());
    }
}
