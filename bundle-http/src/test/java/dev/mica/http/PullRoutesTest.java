package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.model.ModelStore.PullListener;
import dev.mica.api.model.PullOptions;
import dev.mica.api.model.PullProgress;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code POST /api/pull} over a scripted pull: Ollama's progress objects, its error shape, cancellation. */
class PullRoutesTest {
    /** What the scripted pull does; the test sets it. */
    @FunctionalInterface
    interface Script {
        void pull(String name, PullOptions options, PullListener listener) throws InferenceException;
    }

    private final AtomicReference<Script> script = new AtomicReference<>();
    private final AtomicReference<PullOptions> seen = new AtomicReference<>();
    private MicaHttpServer server;
    private Http http;

    @BeforeEach
    void start() {
        ScriptedInference scripted = new ScriptedInference();
        Inference inference = (Inference) Proxy.newProxyInstance(Inference.class.getClassLoader(), new Class<?>[] {Inference.class}, (proxy, method, args) -> {
            if (method.getName().equals("pull")) {
                seen.set((PullOptions) args[1]);
                script.get().pull((String) args[0], (PullOptions) args[1], (PullListener) args[2]);
                return null;
            }
            try {
                return method.invoke(scripted, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        server = new MicaHttpServer(HttpSettings.loopback(0), inference, List::of);
        http = new Http(server.start());
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private static void blob(PullListener l, long completed) {
        l.progress(new PullProgress("pulling 0123456789ab", "sha256:" + "0123456789ab".repeat(5) + "0123", 1000, completed));
    }

    @Test
    void streamsOllamasProgressObjects() {
        script.set((name, options, l) -> {
            l.progress(PullProgress.status("pulling manifest"));
            blob(l, 0);
            blob(l, 1000);
            l.progress(PullProgress.status("verifying sha256 digest"));
            l.progress(PullProgress.status("writing manifest"));
            l.progress(PullProgress.status("success"));
        });
        HttpResponse<String> r = http.post("/api/pull", "{\"model\":\"llama3.2\",\"insecure\":true}");
        assertEquals(200, r.statusCode());
        assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElse(""));
        List<JsonNode> lines = Http.ndjson(r.body());
        assertEquals("{\"status\":\"pulling manifest\"}", lines.get(0).toString());
        assertEquals("{\"status\":\"pulling 0123456789ab\",\"digest\":\"sha256:" + "0123456789ab".repeat(5) + "0123\",\"total\":1000,\"completed\":1000}",
                lines.get(2).toString());
        assertEquals("success", lines.getLast().path("status").asText());
        assertTrue(seen.get().insecure());
    }

    @Test
    void withoutStreamingOneObjectAnswers() {
        script.set((name, options, l) -> blob(l, 1000));
        HttpResponse<String> r = http.post("/api/pull", "{\"name\":\"llama3.2\",\"stream\":false}");
        assertEquals(200, r.statusCode());
        assertEquals("{\"status\":\"success\"}", r.body());
        assertFalse(seen.get().insecure());
    }

    @Test
    void anUnknownModelIs404InOllamasShape() {
        script.set((name, options, l) -> {
            throw new InferenceException(InferenceException.Kind.NOT_FOUND, "model '" + name + "' was not found in the registry");
        });
        HttpResponse<String> r = http.post("/api/pull", "{\"model\":\"nosuch\"}");
        assertEquals(404, r.statusCode());
        assertEquals("model 'nosuch' was not found in the registry", Http.json(r).path("error").asText());
    }

    @Test
    void aFailureAfterTheFirstLineTravelsAsAnErrorLine() {
        script.set((name, options, l) -> {
            l.progress(PullProgress.status("pulling manifest"));
            throw new InferenceException(InferenceException.Kind.INTERNAL, "pull x: cannot reach https://registry.ollama.ai: connection refused");
        });
        List<JsonNode> lines = Http.ndjson(http.post("/api/pull", "{\"model\":\"x\"}").body());
        assertEquals(2, lines.size());
        assertEquals("pull x: cannot reach https://registry.ollama.ai: connection refused", lines.get(1).path("error").asText());
    }

    @Test
    void badRequestsAre400() {
        script.set((name, options, l) -> { });
        assertEquals(400, http.post("/api/pull", "{}").statusCode());
        assertEquals("model is required", Http.json(http.post("/api/pull", "{}")).path("error").asText());
        assertEquals(400, http.post("/api/pull", "{\"model\":\"x\",\"insecure\":\"yes\"}").statusCode());
        assertEquals(400, http.post("/api/pull", "not json").statusCode());
    }

    @Test
    void aClientThatGoesAwayCancelsThePull() throws Exception {
        CountDownLatch cancelled = new CountDownLatch(1);
        script.set((name, options, l) -> {
            for (long i = 0; ; i++) {
                blob(l, i % 1000);
                if (Thread.currentThread().isInterrupted()) {
                    cancelled.countDown();
                    throw new InferenceException(InferenceException.Kind.INTERNAL, "the pull was cancelled");
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    cancelled.countDown();
                    throw new InferenceException(InferenceException.Kind.INTERNAL, "the pull was cancelled");
                }
            }
        });
        HttpResponse<InputStream> r = http.client.send(HttpRequest.newBuilder(http.base.resolve("/api/pull"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"endless\"}")).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertTrue(in.readLine().contains("pulling 0123456789ab"));
        }
        assertTrue(cancelled.await(20, TimeUnit.SECONDS), "the pull saw the cancellation");
    }
}
