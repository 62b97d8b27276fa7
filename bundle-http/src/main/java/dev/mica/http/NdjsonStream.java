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
        byte[] body = json.bytes(object);
        byte[] line = new byte[body.length + 1];
        System.arraycopy(body, 0, line, 0, body.length);
        line[body.length] = '\n';
        write(line);
    }
}
