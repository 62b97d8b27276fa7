package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.kernel.MicaRuntime;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broken bundle dropped into deploy/ of a running kernel, which FileInstall (not the kernel)
 * tries to start: the kernel logs it, the status page flags it, and the server keeps answering.
 */
class DeployFailureTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path work;

    @Test
    void aBrokenBundleInDeployIsLoggedAndShownAndTheKernelCarriesOn() throws Exception {
        Logger kernelLog = Logger.getLogger("mica.kernel");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        kernelLog.addHandler(capture);
        try (MicaRuntime kernel = Kernels.boot(work, Map.of())) {
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            assertTrue(get(http, url, "/api/mica/status").path("ok").asBoolean(), "all well before the drop");

            Path deploy = work.resolve("deploy");
            drop(deploy, "broken.imports", Map.of("Import-Package", "no.such.package"));
            drop(deploy, "broken.activator", Map.of("Bundle-Activator", "no.such.Activator"));

            await(() -> named(records, "broken.imports") > 0 && named(records, "broken.activator") > 0,
                    () -> "no log record for the dropped bundles: " + records.stream().map(LogRecord::getMessage).toList());
            JsonNode[] status = new JsonNode[1];
            await(() -> {
                status[0] = get(http, url, "/api/mica/status");
                return failed(status[0], "broken.imports") && failed(status[0], "broken.activator");
            }, () -> "status does not flag them: " + status[0]);
            assertFalse(status[0].path("ok").asBoolean(), status[0]::toString);
            String failedBundles = status[0].path("failed_bundles").toString();
            assertTrue(failedBundles.contains("broken.imports") && failedBundles.contains("broken.activator"), failedBundles);

            JsonNode version = get(http, url, "/api/version");
            assertFalse(version.path("version").asText().isEmpty(), version::toString);

            assertEquals(1, named(records, "broken.imports"), () -> records.stream().map(LogRecord::getMessage).toList().toString());
            assertEquals(1, named(records, "broken.activator"));
            LogRecord activator = records.stream().filter(r -> r.getMessage().contains("broken.activator")).findFirst().orElseThrow();
            assertEquals(Level.SEVERE, activator.getLevel());
            assertTrue(activator.getMessage().contains("no.such.Activator"), activator.getMessage());
            assertEquals(2, kernel.failures().size(), kernel.failures()::toString);
        } finally {
            kernelLog.removeHandler(capture);
        }
    }

    /** Written beside deploy/ and moved in, so FileInstall never sees half a jar. */
    private static void drop(Path deploy, String name, Map<String, String> headers) throws Exception {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", name);
        headers.forEach(a::putValue);
        Path tmp = deploy.resolveSibling(name + ".jar");
        try (OutputStream os = Files.newOutputStream(tmp); JarOutputStream jar = new JarOutputStream(os, mf)) {
            // the manifest is the whole bundle
        }
        Files.move(tmp, deploy.resolve(name + ".jar"), StandardCopyOption.ATOMIC_MOVE);
    }

    private static long named(List<LogRecord> records, String bundle) {
        return records.stream().filter(r -> r.getLevel() == Level.SEVERE && r.getMessage().contains(bundle)).count();
    }

    private static boolean failed(JsonNode status, String bundle) {
        return StreamSupport.stream(status.path("bundles").spliterator(), false)
                .anyMatch(b -> b.path("symbolic_name").asText().equals(bundle) && b.path("failed").asBoolean());
    }

    private static JsonNode get(HttpClient http, URI base, String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r::body);
            return JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** FileInstall works on its own poll: wait for what it does, with a deadline only for a hang. */
    private static void await(BooleanSupplier condition, java.util.function.Supplier<String> failure) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(failure.get());
            Thread.sleep(20);
        }
    }
}
