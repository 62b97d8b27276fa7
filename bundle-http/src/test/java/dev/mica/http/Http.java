package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** A small java.net.http client for the tests. */
final class Http {
    static final ObjectMapper MAPPER = new ObjectMapper();
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    final URI base;

    Http(URI base) {
        this.base = base;
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    HttpResponse<String> head(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).method("HEAD", HttpRequest.BodyPublishers.noBody()));
    }

    HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    HttpResponse<String> post(String path, byte[] body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    HttpResponse<String> delete(String path, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).method("DELETE", HttpRequest.BodyPublishers.ofString(body)));
    }

    HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return client.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        return json(response.body());
    }

    /** NDJSON: every line must be one JSON object; no blank lines. */
    static List<JsonNode> ndjson(String body) {
        if (!body.endsWith("\n")) throw new AssertionError("NDJSON must end with a newline: " + body);
        return body.lines().map(line -> {
            if (line.isBlank()) throw new AssertionError("blank line in NDJSON: " + body);
            JsonNode node = json(line);
            if (!node.isObject()) throw new AssertionError("NDJSON line is not an object: " + line);
            return node;
        }).toList();
    }

    /** One server-sent event with a name, as Anthropic sends them. */
    record Sse(String event, JsonNode data) {}

    /** SSE as Anthropic sends it: "event: name" then "data: {...}" per event, events separated by a blank line. */
    static List<Sse> sseEvents(String body) {
        if (!body.endsWith("\n\n")) throw new AssertionError("SSE must end with a blank line: " + body);
        return java.util.Arrays.stream(body.split("\n\n")).map(event -> {
            String[] lines = event.split("\n");
            if (lines.length != 2 || !lines[0].startsWith("event: ") || !lines[1].startsWith("data: ")) {
                throw new AssertionError("bad SSE event: " + event);
            }
            JsonNode data = json(lines[1].substring(6));
            String name = lines[0].substring(7);
            if (!name.equals(data.path("type").asText())) throw new AssertionError("event name " + name + " but data type " + data.path("type"));
            return new Sse(name, data);
        }).toList();
    }

    /** SSE as OpenAI sends it: "data: ..." events separated by a blank line. Returns the data fields. */
    static List<String> sseData(String body) {
        if (!body.endsWith("\n\n")) throw new AssertionError("SSE must end with a blank line: " + body);
        return java.util.Arrays.stream(body.split("\n\n")).map(event -> {
            if (!event.startsWith("data: ") || event.contains("\n")) throw new AssertionError("bad SSE event: " + event);
            return event.substring(6);
        }).toList();
    }
}
