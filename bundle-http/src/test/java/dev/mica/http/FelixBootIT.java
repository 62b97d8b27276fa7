package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.api.inference.Inference;
import dev.mica.kernel.MicaConfig;
import dev.mica.kernel.MicaRuntime;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The bundle jar in the kernel's real Felix with SCR and the Jackson bundles: it resolves, starts,
 * waits for an Inference service, then serves, publishes its URL, logs Jetty through
 * java.util.logging, and frees its port when the Inference service goes away.
 */
class FelixBootIT {
    private static final Logger JETTY = Logger.getLogger("org.eclipse.jetty");

    @Test
    void bundleResolvesStartsAndServesInFelix(@TempDir Path home) throws Exception {
        Path bundles = Files.createDirectories(home.resolve("bundles"));
        try (Stream<Path> jars = Files.list(Path.of(System.getProperty("mica.http.test.bundles")))) {
            for (Path jar : jars.toList()) Files.copy(jar, bundles.resolve(jar.getFileName()));
        }
        Path ours = Path.of(System.getProperty("mica.http.test.jar"));
        Files.copy(ours, bundles.resolve(ours.getFileName()));

        List<LogRecord> jettyLogs = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                jettyLogs.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        JETTY.setLevel(Level.INFO); // set before start, so the server leaves it (it quiets only unset levels)
        JETTY.addHandler(capture);
        try (MicaRuntime mica = MicaRuntime.start(MicaConfig.of(home, Map.of(
                MicaConfig.BUNDLES, bundles.toString(), MicaConfig.HOST, "127.0.0.1:0", MicaConfig.DEPLOY_POLL_MS, "60000")))) {
            assertEquals(List.of(), mica.failures());
            Bundle http = Stream.of(mica.context().getBundles()).filter(b -> "dev.mica.http".equals(b.getSymbolicName())).findFirst().orElseThrow();
            assertEquals(Bundle.ACTIVE, http.getState(), "bundle state");

            ServiceTracker<URI, URI> urls = new ServiceTracker<>(mica.context(),
                    mica.context().createFilter("(&(objectClass=java.net.URI)(" + HttpComponent.URL_PROPERTY + "=*))"), null);
            urls.open();
            try {
                assertNull(urls.waitForService(300), "no server before there is an Inference service");

                ServiceRegistration<Inference> engine = mica.context().registerService(Inference.class, new ScriptedInference(), null);
                URI uri = urls.waitForService(15_000);
                assertNotNull(uri, "the component did not publish its URL");
                ServiceReference<URI> ref = urls.getServiceReference();
                assertEquals(uri.toString(), ref.getProperty(HttpComponent.URL_PROPERTY));
                assertEquals(uri.getPort(), ref.getProperty(HttpComponent.PORT_PROPERTY));
                assertTrue(uri.getPort() > 0);
                assertEquals(http, ref.getBundle(), "registered by the HTTP bundle");

                Http client = new Http(uri);
                assertTrue(Http.json(client.get("/api/version")).get("version").asText().startsWith("0."));
                List<JsonNode> lines = Http.ndjson(client.post("/api/generate", "{\"model\":\"stories\",\"prompt\":\"Once\"}").body());
                assertEquals(5, lines.size());
                List<String> sse = Http.sseData(client.post("/v1/chat/completions",
                        "{\"model\":\"stories\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").body());
                assertEquals("[DONE]", sse.getLast());
                assertEquals(400, client.post("/api/chat", "{\"model\":\"stories\",\"options\":{\"temperature\":\"hot\"}}").statusCode());

                JsonNode status = Http.json(client.get("/api/mica/status"));
                assertEquals(0, status.get("failed_bundles").size(), status.toString());
                assertTrue(status.get("ok").asBoolean());
                boolean listed = false;
                for (JsonNode b : status.get("bundles")) {
                    if (b.get("symbolic_name").asText().equals("dev.mica.http")) listed = b.get("state").asText().equals("active");
                }
                assertTrue(listed, "the status page lists this bundle as active");

                assertTrue(jettyLogs.stream().anyMatch(r -> r.getLoggerName().startsWith("org.eclipse.jetty")),
                        "Jetty's slf4j logging did not reach java.util.logging inside Felix");

                engine.unregister(); // the static reference goes: the component stops and frees the port
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (urls.getService() != null && System.nanoTime() < deadline) Thread.sleep(20);
                assertNull(urls.getService(), "URL service still registered after the Inference service left");
                try (ServerSocket again = new ServerSocket(uri.getPort(), 50, InetAddress.getByName(uri.getHost()))) {
                    assertEquals(uri.getPort(), again.getLocalPort());
                }
            } finally {
                urls.close();
            }
        } finally {
            JETTY.removeHandler(capture);
            JETTY.setLevel(null);
        }
    }
}
