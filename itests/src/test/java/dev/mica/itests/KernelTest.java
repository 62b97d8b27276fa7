package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.inference.BackendReport;
import dev.mica.kernel.MicaRuntime;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

class KernelTest {
    @TempDir Path work;

    @Test
    void bootsTheDistributionWithEveryBundleActive() throws Exception {
        try (MicaRuntime kernel = Kernels.boot(work, Map.of())) {
            assertTrue(kernel.failures().isEmpty(), () -> "failed bundles: " + kernel.failures());
            Bundle[] bundles = kernel.context().getBundles();
            assertTrue(Stream.of(bundles).allMatch(b -> b.getState() == Bundle.ACTIVE), () -> Stream.of(bundles)
                    .filter(b -> b.getState() != Bundle.ACTIVE).map(Bundle::getSymbolicName).toList() + " not active");
            kernel.inference();
            System.out.println("kernel ready in " + kernel.startupTime().toMillis() + " ms");
        }
    }

    @Test
    void aBundleThatFailsToStartIsReportedAndTheKernelCarriesOn() throws Exception {
        Path bundles = work.resolve("bundles");
        Files.createDirectories(bundles);
        try (Stream<Path> s = Files.list(Kernels.DIST.resolve("bundles"))) {
            for (Path p : s.toList()) Files.copy(p, bundles.resolve(p.getFileName()));
        }
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "broken.bundle");
        a.putValue("Import-Package", "no.such.package");
        try (OutputStream os = Files.newOutputStream(bundles.resolve("broken.jar")); JarOutputStream jar = new JarOutputStream(os, mf)) {
            // a manifest is all it takes to fail resolution
        }
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.bundles", bundles.toString()))) {
            assertEquals(1, kernel.failures().size(), kernel.failures().toString());
            assertTrue(kernel.failures().getFirst().contains("broken.bundle"));
            assertFalse(kernel.inference().backends().isEmpty());
        }
    }

    @Test
    void aMissingNativeLibraryMakesTheBackendUnavailableNotTheKernel() throws Exception {
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.llama.path", work.resolve("nowhere").toString()))) {
            assertTrue(kernel.failures().isEmpty(), kernel.failures().toString());
            BackendReport ggml = kernel.inference().backends().stream().filter(b -> b.id().equals("ggml")).findFirst().orElseThrow();
            assertFalse(ggml.available());
            assertTrue(ggml.detail().contains("nowhere"), ggml.detail());
        }
    }
}
