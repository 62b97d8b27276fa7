package dev.mica.http;

import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.ToolCall;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.lang.System.Logger.Level;

/**
 * Anthropic's Messages API: {@code POST /v1/messages} (JSON, or server-sent events named after
 * their type) and {@code POST /v1/messages/count_tokens}, with errors as
 * {@code {"type": "error", "error": {"type", "message"}}}. What coding agents such as Claude Code
 * speak. The API key headers ({@code x-api-key}, {@code Authorization}) are checked by
 * {@link ApiKeyCheck} for every route alike.
 */
final class AnthropicRoutes implements ApiRoutes {
    private static final System.Logger LOG = System.getLogger("mica.http");

    private final Inference inference;
    private final Json json;
    private final Generations generations;
    private final AnthropicRequests requests;
    private final AnthropicResponses responses;

    AnthropicRoutes(Inference inference, Json json, Generations generations) {
        this.inference = inference;
        this.json = json;
        this.generations = generations;
        this.requests = new AnthropicRequests(json);
        this.responses = new AnthropicResponses(json);
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/messages", this::messages);
        routes.post("/v1/messages/count_tokens", this::countTokens);
    }

    @Override
    public boolean owns(String path) {
        return path.equals("/v1/messages") || path.startsWith("/v1/messages/");
    }

    @Override
    public void writeError(Context ctx, ApiError error) {
        ctx.status(error.status()).contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(responses.error(error)));
    }

    private void countTokens(Context ctx) throws InferenceException {
        ChatRequest request = requests.countTokens(json.readObject(ctx));
        ctx.contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(responses.countTokens(inference.countTokens(request))));
    }

    private void messages(Context ctx) throws Exception {
        AnthropicRequests.MessagesCall call = requests.messages(json.readObject(ctx));
        ChatRequest request = call.request();
        String id = AnthropicResponses.messageId();
        EventPump pump = generations.open();
        Generation generation;
        try {
            generation = inference.chat(request, pump);
        } catch (InferenceException | RuntimeException e) {
            pump.close();
            throw e;
        }
        if (!call.stream()) {
            Transcript transcript = new Transcript();
            GenerationEvent.Done done = pump.drain(generation, transcript);
            ctx.contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(responses.message(id, request.model(), transcript, done)));
            return;
        }
        SseStream out = new SseStream(ctx, json);
        try {
            pump.drain(generation, new BlockWriter(out, id, request.model(), generation));
        } catch (InferenceException e) {
            if (!out.committed()) throw e;
            try {
                out.send("error", responses.error(ApiError.of(e)));
            } catch (IOException gone) {
                LOG.log(Level.DEBUG, "client went away before the error event");
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "client went away; generation cancelled: {0}", e.toString());
        }
    }

    /**
     * Turns events into Anthropic's stream: {@code message_start} and a {@code ping} with the first
     * event (so a failure before it still gets a proper status), then content blocks one after the
     * other: a block starts when the kind of output changes (thinking, text, a tool use), the
     * previous one stops first. A tool use is one block whose input arrives as one
     * {@code input_json_delta}. {@code message_delta} with the stop reason and usage, then
     * {@code message_stop}, end it.
     */
    private final class BlockWriter implements EventPump.Listener {
        private enum Kind { NONE, THINKING, TEXT }

        private final SseStream out;
        private final String id;
        private final String model;
        private final Generation generation;
        private boolean started;
        private Kind open = Kind.NONE;
        private int index = -1;
        private boolean toolUse;

        BlockWriter(SseStream out, String id, String model, Generation generation) {
            this.out = out;
            this.id = id;
            this.model = model;
            this.generation = generation;
        }

        @Override
        public void on(GenerationEvent event) throws IOException {
            if (!started) {
                out.send("message_start", responses.messageStart(id, model, generation.promptTokens()));
                out.send("ping", responses.ping());
                started = true;
            }
            switch (event) {
                case GenerationEvent.Thinking t -> {
                    if (t.text().isEmpty()) return;
                    open(Kind.THINKING);
                    out.send("content_block_delta", responses.blockDelta(index, "thinking_delta", "thinking", t.text()));
                }
                case GenerationEvent.Token t -> {
                    if (t.text().isEmpty()) return;
                    open(Kind.TEXT);
                    out.send("content_block_delta", responses.blockDelta(index, "text_delta", "text", t.text()));
                }
                case GenerationEvent.ToolCalls calls -> {
                    for (ToolCall c : calls.calls()) {
                        close();
                        index++;
                        out.send("content_block_start", responses.blockStart(index, responses.toolUse(c, false)));
                        out.send("content_block_delta", responses.blockDelta(index, "input_json_delta", "partial_json", responses.inputJson(c)));
                        out.send("content_block_stop", responses.blockStop(index));
                        toolUse = true;
                    }
                }
                case GenerationEvent.Done done -> {
                    close();
                    out.send("message_delta", responses.messageDelta(done, toolUse));
                    out.send("message_stop", responses.messageStop());
                }
            }
        }

        private void open(Kind kind) throws IOException {
            if (open == kind) return;
            close();
            index++;
            open = kind;
            out.send("content_block_start", responses.blockStart(index, kind == Kind.THINKING ? responses.thinkingBlock() : responses.textBlock()));
        }

        /** Stops the open text or thinking block; a thinking block gets its (empty) signature first. */
        private void close() throws IOException {
            if (open == Kind.THINKING) {
                out.send("content_block_delta", responses.blockDelta(index, "signature_delta", "signature", ""));
            }
            if (open != Kind.NONE) out.send("content_block_stop", responses.blockStop(index));
            open = Kind.NONE;
        }
    }
}
