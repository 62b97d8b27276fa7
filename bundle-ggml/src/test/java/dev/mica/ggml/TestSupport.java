package dev.mica.ggml;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.model.ModelDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Where the tests find the natives and the models, and one backend shared by the test classes. */
final class TestSupport {
    /** A chat template mentioning tools, so the capability inference has something to find. */
    static final String CHAT_TEMPLATE = "{% for message in messages %}<|im_start|>{{ message.role }}\n"
            + "{{ message.content }}<|im_end|>\n{% endfor %}{% if tools %}tools{% endif %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    private static GgmlBackend backend;
    private static Path generated;
    private static Path endsAtOnce;

    private TestSupport() {}

    /** The natives folder the build fetched (surefire sets mica.llama.path). */
    static Path llamaPath() {
        String path = System.getProperty("mica.llama.path");
        assertNotNull(path, "mica.llama.path is not set: run the tests through Maven");
        return Path.of(path);
    }

    /** A backend over the fetched natives; they must be there (the native module builds first). */
    static synchronized GgmlBackend backend() {
        if (backend == null) {
            GgmlBackend b = new GgmlBackend(llamaPath());
            assertTrue(b.status().available(), () -> "natives at " + llamaPath() + " unusable: " + b.status().detail());
            backend = b;
        }
        return backend;
    }

    /** A model from ../shared/models, when that folder is there. */
    static Optional<Path> sharedModel(String file) {
        String dir = System.getProperty("mica.test.models");
        if (dir == null) {
            return Optional.empty();
        }
        Path p = Path.of(dir, file);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** The random-weight llama written by {@link TinyLlamaGguf}, once per test run. */
    static synchronized Path generatedModel() {
        if (generated == null) {
            generated = write("tiny-llama", false, CHAT_TEMPLATE);
        }
        return generated;
    }

    /** A tiny llama whose greedy output is end-of-sequence at once. */
    static synchronized Path endsAtOnceModel() {
        if (endsAtOnce == null) {
            endsAtOnce = write("tiny-llama-eos", true, null);
        }
        return endsAtOnce;
    }

    private static Path write(String name, boolean endsAtOnce, String template) {
        try {
            Path dir = Files.createTempDirectory("mica-ggml-test-");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve(name + ".gguf");
            TinyLlamaGguf.write(file, 42, endsAtOnce, template);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ModelDescriptor descriptor(Path file) {
        return new ModelDescriptor(file.getFileName().toString(), "gguf", file, null, 0, null, null, null, Map.of(),
                null, null);
    }

    /**
     * Loads with one compute thread: these models are tiny, and on a busy machine a second thread
     * costs more in barrier waits than it computes (a 64-token run takes 30 ms on one thread, seconds
     * on two when the cores are taken).
     */
    static GgmlModel load(Path file) throws Exception {
        return (GgmlModel) backend().load(descriptor(file), new LoadOptions(0, true, 1), ProgressListener.NONE);
    }
}
