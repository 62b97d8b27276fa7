package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.io.IOException;

/** Ollama's streaming: one JSON object per line ({@code application/x-ndjson}), flushed per line. */
final class NdjsonStream extends ResponseStream {
    static final String CONTENT_TYPE = "application/x-ndjson";

    private final Json json;

    NdjsonStream(Context ctx, Json json) {
        super(ctx, CONTENT_TYPE);
        this.json = json;
    }

    void send(JsonNode object) throws IOException {
        write(line(json, object));
    }

    /** One NDJSON line: compact JSON (never a raw newline inside) and a newline. */
    static byte[] line(Json json, JsonNode object) {
        byte[] body = json.bytes(object);
        byte[] line = java.util.Arrays.copyOf(body, body.length + 1);
        line[body.length] = '\n';
        return line;
    }
}
