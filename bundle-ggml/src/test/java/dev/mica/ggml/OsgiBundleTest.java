package dev.mica.ggml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.Backend;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.kernel.MicaConfig;
import dev.mica.kernel.MicaRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The bundle as the kernel runs it: Felix with Declarative Services installs it, the component
 * registers a {@link Backend} with {@code mica.backend.id=ggml}, and it survives a bundle update,
 * which gives it a new class loader over natives the process already holds.
 *
 * <p>Ordered last: libllama's log callback is process-wide, and after this test it points into
 * the (stopped) bundle, so tests that read native error messages must run before it.
 */
@Order(Integer.MAX_VALUE)
class OsgiBundleTest {
    private static final String FILTER = "(&(objectClass=" + Backend.class.getName() + ")(" + Backend.ID_PROPERTY + "=ggml))";

    @Test
    void theComponentRegistersTheBackendAndSurvivesAnUpdate(@TempDir Path home) throws Exception {
        Path bundles = Files.createDirectories(home.resolve("bundles"));
        try (Stream<Path> deps = Files.list(Path.of(System.getProperty("mica.test.bundles")))) {
            for (Path jar : deps.toList()) {
                Files.copy(jar, bundles.resolve(jar.getFileName()));
            }
        }
        Path ours = bundles.resolve("mica-bundle-ggml.jar");
        jar(Path.of(System.getProperty("mica.test.classes")), ours);

        MicaConfig config = MicaConfig.of(home, Map.of(
                MicaConfig.BUNDLES, bundles.toString(),
                MicaConfig.LLAMA_PATH, TestSupport.llamaPath().toString()));
        try (MicaRuntime mica = MicaRuntime.start(config)) {
            assertEquals(java.util.List.of(), mica.failures());
            Backend first = await(mica.context());
            assertTrue(first.status().available(), first.status().detail());
            assertEquals("ggml", first.id());
            decodeALittle(first);

            Bundle bundle = FrameworkUtil.getBundle(first.getClass());
            assertEquals("dev.mica.ggml", bundle.getSymbolicName());
            try (InputStream in = Files.newInputStream(ours)) {
                bundle.update(in);
            }
            refresh(mica.context(), bundle);

            Backend second = await(mica.context());
            assertNotSame(first.getClass().getClassLoader(), second.getClass().getClassLoader(), "a new revision");
            assertFalse(first.status().available(), "the old component was deactivated");
            assertTrue(second.status().available(), second.status().detail());
            decodeALittle(second);
        }
    }

    private static Backend await(BundleContext context) throws Exception {
        ServiceTracker<Backend, Backend> tracker = new ServiceTracker<>(context, context.createFilter(FILTER), null);
        tracker.open();
        try {
            Backend backend = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
            assertNotNull(backend, "no ggml Backend service");
            return backend;
        } finally {
            tracker.close();
        }
    }

    private static void refresh(BundleContext context, Bundle bundle) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(java.util.List.of(bundle), e -> done.countDown());
        assertTrue(done.await(30, TimeUnit.SECONDS), "refresh did not finish");
    }

    /** A model loaded through the service decodes: the bindings work from the bundle's class loader. */
    private static void decodeALittle(Backend backend) throws Exception {
        try (LoadedModel model = backend.load(TestSupport.descriptor(TestSupport.generatedModel()),
                new LoadOptions(0, true, 1), ProgressListener.NONE);
             InferenceContext context = model.newContext(new ContextOptions(128, 1, 32, 0, false, false))) {
            int[] tokens = model.tokenizer().encode("the cat sat", true, false);
            Batch batch = new Batch(tokens.length);
            for (int i = 0; i < tokens.length; i++) {
                batch.add(tokens[i], i, 0, i == tokens.length - 1);
            }
            assertEquals(DecodeResult.OK, context.decode(batch));
            assertEquals(model.info().vocabSize() * 4L, context.logits(tokens.length - 1).byteSize());
        }
    }

    /** The bundle jar from the classes bnd has processed (manifest and component XML included). */
    private static void jar(Path classes, Path jar) throws IOException {
        Manifest manifest;
        try (InputStream in = Files.newInputStream(classes.resolve("META-INF/MANIFEST.MF"))) {
            manifest = new Manifest(in);
        }
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             Stream<Path> walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                String name = classes.relativize(p).toString().replace('\\', '/');
                if (name.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                Files.copy(p, out);
                out.closeEntry();
            }
        }
    }
}
