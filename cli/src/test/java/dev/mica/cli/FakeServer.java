package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A stand-in mica server on 127.0.0.1 speaking the slice of Ollama's API the CLI uses. Answers are
 * canned per route (a JSON body, or NDJSON lines) and every request is recorded with its body.
 */
final class FakeServer implements AutoCloseable {
    record Request(String method, String path, JsonNode body, byte[] raw) {}

    /** A canned answer: a status and a body; NDJSON when {@code lines} is set. */
    record Answer(int status, String body, List<String> lines, String repeated, java.util.concurrent.CountDownLatch clientGone) {
        Answer(int status, String body, List<String> lines) {
            this(status, body, lines, null, null);
        }

        /** NDJSON that never ends: {@code line} every few milliseconds until the client goes away. */
        static Answer endless(String line, java.util.concurrent.CountDownLatch clientGone) {
            return new Answer(200, null, null, line, clientGone);
        }

        static Answer json(String body) {
            return new Answer(200, body, null);
        }

        static Answer error(int status, String message) {
            return new Answer(status, "{\"error\":\"" + message + "\"}", null);
        }

        static Answer ndjson(String... lines) {
            return new Answer(200, null, List.of(lines));
        }
    }

    private final HttpServer server;
    private final Map<String, Function<Request, Answer>> routes = new ConcurrentHashMap<>();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());

    FakeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
        on("GET /api/version", r -> Answer.json("{\"version\":\"0.1.0-test\"}"));
    }

    int port() {
        return server.getAddress().getPort();
    }

    String host() {
        return "127.0.0.1:" + port();
    }

    /** {@code "POST /api/chat"}; a path ending in {@code *} matches by prefix. */
    FakeServer on(String route, Function<Request, Answer> answer) {
        routes.put(route, answer);
        return this;
    }

    List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    List<Request> requests(String route) {
        return requests().stream().filter(r -> (r.method() + " " + r.path()).equals(route)).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] raw = ex.getRequestBody().readAllBytes();
            JsonNode body = null;
            String type = ex.getRequestHeaders().getFirst("Content-Type");
            if (raw.length > 0 && type != null && type.startsWith("application/json")) body = Client.JSON.readTree(raw);
            Request r = new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(), body, raw);
            requests.add(r);
            Function<Request, Answer> f = routes.get(r.method() + " " + r.path());
            if (f == null) {
                f = routes.entrySet().stream().filter(e -> e.getKey().endsWith("*") && (r.method() + " " + r.path()).startsWith(e.getKey().substring(0, e.getKey().length() - 1)))
                        .map(Map.Entry::getValue).findFirst().orElse(null);
            }
            Answer a = f == null ? Answer.error(404, "no route " + r.method() + " " + r.path()) : f.apply(r);
            if (a.repeated() != null) {
                ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                try {
                    for (int i = 0; i < 30_000; i++) {
                        out.write((a.repeated() + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        Thread.sleep(2);
                    }
                } catch (IOException | InterruptedException e) {
                    a.clientGone().countDown();
                }
                return;
            }
            if (a.lines() != null) {
                ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
                ex.sendResponseHeaders(a.status(), 0);
                OutputStream out = ex.getResponseBody();
                for (String line : a.lines()) {
                    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                return;
            }
            byte[] bytes = a.body() == null ? new byte[0] : a.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(a.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) ex.getResponseBody().write(bytes);
        }
    }

    static ObjectNode object() {
        return Client.JSON.createObjectNode();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
