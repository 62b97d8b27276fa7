package dev.mica.itests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.kernel.MicaConfig;
import dev.mica.kernel.MicaRuntime;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Boots the real kernel over the assembled distribution's bundles, with test folders for state. */
final class Kernels {
    static final Path DIST = Path.of(System.getProperty("mica.it.dist", "../distribution/target/mica"));
    static final Path FIXTURE = Path.of(System.getProperty("mica.it.fixture", "target/fixtures/mica-fixture-backend.jar"));

    private Kernels() {}

    static MicaRuntime boot(Path work, Map<String, String> settings) throws Exception {
        Map<String, String> s = new HashMap<>();
        s.put(MicaConfig.HOST, "127.0.0.1:0");
        s.put(MicaConfig.MODELS, work.resolve("models").toString());
        s.put(MicaConfig.DEPLOY, work.resolve("deploy").toString());
        s.put(MicaConfig.BUNDLES, DIST.resolve("bundles").toString());
        s.put(MicaConfig.LLAMA_PATH, DIST.resolve("natives").resolve(MicaConfig.platform()).toString());
        s.put(MicaConfig.DEPLOY_POLL_MS, "50");
        s.putAll(settings);
        return MicaRuntime.start(MicaConfig.of(DIST, s));
    }

    /**
     * The fixture backend jar under another id: a new symbolic name and {@code Mica-Fixture-Id},
     * so two fixture backends can live side by side.
     */
    static Path fixtureAs(String id, Path dir) throws IOException {
        Path out = dir.resolve("fixture-" + id + ".jar");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(FIXTURE))) {
            Manifest mf = new Manifest(in.getManifest());
            Attributes a = mf.getMainAttributes();
            a.putValue("Bundle-SymbolicName", "dev.mica.fixture." + id);
            a.putValue("Mica-Fixture-Id", id);
            try (OutputStream os = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(os, mf)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                    jar.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(jar);
                    jar.closeEntry();
                }
            }
        }
        return out;
    }

    /** A file that passes the store's GGUF magic check; the fixture backend never reads further. */
    static Path fakeModel(Path dir) throws IOException {
        Path f = dir.resolve("fixture-model.gguf");
        Files.writeString(f, "GGUF fixture weights");
        return f;
    }

    /** The address bundle-http bound, published as a URI service with property mica.http.url. */
    static URI httpUrl(MicaRuntime kernel) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            var refs = kernel.context().getServiceReferences(URI.class, "(mica.http.url=*)");
            if (!refs.isEmpty()) return URI.create(String.valueOf(refs.iterator().next().getProperty("mica.http.url")));
            Thread.sleep(10);
        }
        throw new AssertionError("bundle-http published no URL; failed bundles: " + kernel.failures());
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A non-streaming raw /api/generate of the fixture backends, which must come back complete (their 12-character answer). */
    static void generateOverHttp(HttpClient http, URI url, String model, String prompt) throws Exception {
        String body = JSON.writeValueAsString(Map.of("model", model, "prompt", prompt, "raw", true, "stream", false));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve("/api/generate")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new AssertionError("HTTP " + r.statusCode() + ": " + r.body());
        JsonNode n = JSON.readTree(r.body());
        if (!n.path("done").asBoolean() || !"stop".equals(n.path("done_reason").asText()) || n.path("response").asText().length() != 12) {
            throw new AssertionError("incomplete answer over HTTP: " + r.body());
        }
    }
}
