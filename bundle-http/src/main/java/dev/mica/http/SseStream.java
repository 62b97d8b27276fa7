package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events as OpenAI streams them: {@code data: {json}\n\n} per chunk, then
 * {@code data: [DONE]\n\n}. Named events ({@code event: name}) are there for APIs that use them
 * (Anthropic's messages stream, OpenAI's responses).
 */
final class SseStream extends ResponseStream {
    static final String CONTENT_TYPE = "text/event-stream";
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final Json json;

    SseStream(Context ctx, Json json) {
        super(ctx, CONTENT_TYPE);
        this.json = json;
    }

    void send(JsonNode data) throws IOException {
        send(null, data);
    }

    void send(String event, JsonNode data) throws IOException {
        byte[] body = json.bytes(data); // compact JSON never contains a raw newline
        byte[] head = event == null ? DATA : ("event: " + event + "\ndata: ").getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[head.length + body.length + 2];
        System.arraycopy(head, 0, frame, 0, head.length);
        System.arraycopy(body, 0, frame, head.length, body.length);
        frame[frame.length - 2] = '\n';
        frame[frame.length - 1] = '\n';
        write(frame);
    }

    void done() throws IOException {
        write(DONE);
    }
}
