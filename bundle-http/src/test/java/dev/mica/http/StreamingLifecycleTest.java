package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Client disconnects, server stops and silent stretches, with real sockets. */
class StreamingLifecycleTest {

    private static MicaHttpServer start(ScriptedInference engine, HttpSettings settings) {
        MicaHttpServer server = new MicaHttpServer(settings, engine, List::of);
        server.start();
        return server;
    }

    /** Sends a raw HTTP/1.1 POST, reads the headers and {@code lines} body lines, then drops the connection. */
    private static List<String> readThenDisconnect(URI base, String path, String body, int lines) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(10_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                    + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = in.readLine();
            assertTrue(status.startsWith("HTTP/1.1 200"), status);
            while (!in.readLine().isEmpty()) {
                // headers
            }
            List<String> seen = new java.util.ArrayList<>();
            while (seen.size() < lines) {
                String line = in.readLine();
                if (line.contains("{")) seen.add(line);
            }
            return seen;
        } // closing the socket here is the client going away mid-stream
    }

    @Test
    void ndjsonClientDisconnectCancelsTheGeneration() throws Exception {
        ScriptedInference engine = new ScriptedInference();
        try (MicaHttpServer server = start(engine, HttpSettings.loopback(0))) {
            List<String> lines = readThenDisconnect(server.uri(), "/api/generate", "{\"model\":\"endless\",\"prompt\":\"go\"}", 3);
            assertTrue(lines.getFirst().contains("\"response\":\"x\""), lines.getFirst());
            assertTrue(engine.cancelled.await(5, TimeUnit.SECONDS), "generation not cancelled after the client left");
            awaitNoActiveGenerations(server);
            assertEquals(200, new Http(server.uri()).get("/api/version").statusCode());
        }
    }

    @Test
    void sseClientDisconnectCancelsTheGeneration() throws Exception {
        ScriptedInference engine = new ScriptedInference();
        try (MicaHttpServer server = start(engine, HttpSettings.loopback(0))) {
            List<String> events = readThenDisconnect(server.uri(), "/v1/chat/completions",
                    "{\"model\":\"endless\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}", 2);
            assertTrue(events.getFirst().startsWith("data: {"), events.getFirst());
            assertTrue(engine.cancelled.await(5, TimeUnit.SECONDS), "generation not cancelled after the client left");
            awaitNoActiveGenerations(server);
        }
    }

    @Test
    void responsesClientDisconnectCancelsTheGeneration() throws Exception {
        ScriptedInference engine = new ScriptedInference();
        try (MicaHttpServer server = start(engine, HttpSettings.loopback(0))) {
            List<String> events = readThenDisconnect(server.uri(), "/v1/responses", "{\"model\":\"endless\",\"stream\":true,\"input\":\"go\"}", 6);
            assertTrue(events.getLast().contains("\"response.output_text.delta\""), events.toString());
            assertTrue(engine.cancelled.await(5, TimeUnit.SECONDS), "generation not cancelled after the client left");
            awaitNoActiveGenerations(server);
        }
    }

    @Test
    void stopCancelsStreamsInFlightAndFreesThePort() throws Exception {
        ScriptedInference engine = new ScriptedInference();
        MicaHttpServer server = start(engine, HttpSettings.loopback(0));
        URI uri = server.uri();
        Http http = new Http(uri);
        CompletableFuture<HttpResponse<String>> pending = http.client.sendAsync(
                HttpRequest.newBuilder(uri.resolve("/api/generate")).POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"endless\",\"prompt\":\"go\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(engine.endlessStarted.await(5, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        server.stop();
        assertTrue(engine.cancelled.await(5, TimeUnit.SECONDS), "stop must cancel generations in flight");
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).toSeconds() < 5, "stop took too long");
        try {
            pending.get(5, TimeUnit.SECONDS); // the response ends (or the connection breaks) without hanging
        } catch (java.util.concurrent.ExecutionException expected) {
            // a broken connection is fine too
        }
        try (ServerSocket again = new ServerSocket(uri.getPort(), 50, java.net.InetAddress.getByName(uri.getHost()))) {
            assertEquals(uri.getPort(), again.getLocalPort(), "port is free once stop returns");
        }
    }

    @Test
    void aSilentStretchLongerThanTheIdleTimeoutDoesNotKillTheStream() {
        ScriptedInference engine = new ScriptedInference();
        engine.slowMillis = 1500;
        try (MicaHttpServer server = start(engine, HttpSettings.loopback(0).withIdleTimeout(Duration.ofMillis(300)))) {
            HttpResponse<String> r = new Http(server.uri()).post("/api/generate", "{\"model\":\"slow\",\"prompt\":\"go\"}");
            List<JsonNode> lines = Http.ndjson(r.body());
            assertEquals("late", lines.getFirst().get("response").asText(), r.body());
            assertTrue(lines.getLast().get("done").asBoolean(), r.body());
        }
    }

    @Test
    void concurrentStreamsStayApart() throws Exception {
        ScriptedInference engine = new ScriptedInference();
        try (MicaHttpServer server = start(engine, HttpSettings.loopback(0))) {
            Http http = new Http(server.uri());
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<String>> all = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String path = i % 2 == 0 ? "/api/generate" : "/v1/chat/completions";
                String body = i % 2 == 0 ? "{\"model\":\"stories\",\"prompt\":\"x\"}"
                        : "{\"model\":\"stories\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
                all.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return http.post(path, body).body();
                }));
            }
            go.countDown();
            for (int i = 0; i < all.size(); i++) {
                String body = all.get(i).get(20, TimeUnit.SECONDS);
                if (i % 2 == 0) {
                    assertEquals(5, Http.ndjson(body).size());
                } else {
                    assertEquals("[DONE]", Http.sseData(body).getLast());
                }
            }
        }
    }

    private static void awaitNoActiveGenerations(MicaHttpServer server) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.activeGenerations() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, server.activeGenerations());
    }
}
