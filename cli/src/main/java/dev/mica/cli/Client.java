package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The CLI's side of mica's HTTP API (Ollama's routes): JSON calls, NDJSON streams read line by
 * line, blob uploads. A non-2xx answer becomes an {@link ApiError} with the server's message.
 */
final class Client {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The server answered with an error status; the message is the one from its JSON body. */
    static final class ApiError extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;

        ApiError(int status, String message) {
            super(message);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    /** Cancels a stream in flight from another thread (Ctrl-C): the reading side then ends quietly. */
    static final class Cancel {
        private final AtomicReference<InputStream> body = new AtomicReference<>();
        private volatile boolean cancelled;

        void cancel() {
            cancelled = true;
            InputStream in = body.get();
            if (in != null) {
                try {
                    in.close();
                } catch (IOException e) {
                    // the reader sees the closed stream
                }
            }
        }

        boolean cancelled() {
            return cancelled;
        }
    }

    private final URI base;
    private final String apiKey;
    private final HttpClient http;

    Client(URI base, String apiKey, Duration connectTimeout) {
        this.base = base;
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
    }

    URI base() {
        return base;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        return b;
    }

    JsonNode get(String path) throws IOException {
        return json(send(request(path).GET()));
    }

    JsonNode post(String path, JsonNode body) throws IOException {
        return json(send(request(path).header("Content-Type", "application/json").POST(publisher(body))));
    }

    void delete(String path, JsonNode body) throws IOException {
        check(send(request(path).header("Content-Type", "application/json").method("DELETE", publisher(body))));
    }

    /** Whether a HEAD answers 200 (a blob the server has). */
    boolean exists(String path) throws IOException {
        HttpResponse<String> r = send(request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        if (r.statusCode() == 200) return true;
        if (r.statusCode() == 404) return false;
        throw new ApiError(r.statusCode(), "HEAD " + path + " answered " + r.statusCode());
    }

    /** Posts a file's bytes, reporting how many were sent. */
    void upload(String path, Path file, LongConsumer sent) throws IOException {
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
                return new Counting(Files.newInputStream(file), sent);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }), Files.size(file));
        check(send(request(path).header("Content-Type", "application/octet-stream").POST(body)));
    }

    /** Posts and hands each NDJSON object to {@code each}; an {@code error} object ends the stream as an ApiError. */
    void stream(String path, JsonNode body, Cancel cancel, Consumer<JsonNode> each) throws IOException {
        HttpResponse<InputStream> r;
        try {
            r = http.send(request(path).header("Content-Type", "application/json").POST(publisher(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
        if (r.statusCode() / 100 != 2) {
            try (InputStream in = r.body()) {
                throw new ApiError(r.statusCode(), message(new String(in.readAllBytes(), StandardCharsets.UTF_8), r.statusCode()));
            }
        }
        if (cancel != null) cancel.body.set(r.body());
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.isBlank()) continue;
                JsonNode node = JSON.readTree(line);
                if (node.has("error")) throw new ApiError(500, node.path("error").asText());
                each.accept(node);
            }
        } catch (IOException e) {
            if (cancel != null && cancel.cancelled()) return;
            throw e;
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException {
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        check(r);
        return r.body() == null || r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    private static void check(HttpResponse<String> r) throws ApiError {
        if (r.statusCode() / 100 != 2) throw new ApiError(r.statusCode(), message(r.body(), r.statusCode()));
    }

    /** Ollama's {"error": "..."} or OpenAI's {"error": {"message": "..."}}; else the body itself. */
    static String message(String body, int status) {
        if (body == null || body.isBlank()) return "the server answered " + status;
        try {
            JsonNode e = JSON.readTree(body).path("error");
            if (e.isTextual()) return e.asText();
            if (e.path("message").isTextual()) return e.path("message").asText();
        } catch (IOException ignored) {
            // not JSON: the body is the message
        }
        return body.strip();
    }

    private static HttpRequest.BodyPublisher publisher(JsonNode body) throws IOException {
        return HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
    }

    /** Counts the bytes read, for upload progress. */
    private static final class Counting extends FilterInputStream {
        private final LongConsumer sent;
        private long count;

        Counting(InputStream in, LongConsumer sent) {
            super(in);
            this.sent = sent;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) sent.accept(++count);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) sent.accept(count += n);
            return n;
        }
    }
}
