package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.EmbedRequest;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.ModelSummary;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * OpenAI's API under {@code /v1}: chat completions as JSON or as server-sent events ending in
 * {@code data: [DONE]}, responses ({@link ResponsesApi}), legacy text completions
 * ({@link OpenAiCompletions}), models and embeddings, and errors as {@code {"error": {...}}}.
 */
final class OpenAiRoutes implements ApiRoutes {
    private static final System.Logger LOG = System.getLogger("mica.http");

    private final Inference inference;
    private final Json json;
    private final Generations generations;
    private final OpenAiRequests requests;
    private final OpenAiResponses responses;
    private final OpenAiCompletions completions;
    private final ResponsesApi responsesApi;

    OpenAiRoutes(Inference inference, Json json, Generations generations) {
        this.inference = inference;
        this.json = json;
        this.generations = generations;
        this.requests = new OpenAiRequests(json);
        this.responses = new OpenAiResponses(json);
        this.completions = new OpenAiCompletions(inference, json, generations, responses);
        this.responsesApi = new ResponsesApi(inference, json, generations, responses);
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/chat/completions", this::chatCompletions);
        routes.post("/v1/completions", completions::handle);
        routes.post("/v1/responses", responsesApi::handle);
        routes.get("/v1/models", ctx -> sendJson(ctx, responses.models(inference.models())));
        routes.get("/v1/models/{model}", this::model);
        routes.post("/v1/embeddings", this::embeddings);
    }

    @Override
    public boolean owns(String path) {
        return path.startsWith("/v1/");
    }

    @Override
    public void writeError(Context ctx, ApiError error) {
        ctx.status(error.status()).contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(responses.error(error)));
    }

    private void chatCompletions(Context ctx) throws Exception {
        OpenAiRequests.ChatCall call = requests.chat(json.readObject(ctx));
        ChatRequest request = call.request();
        String id = OpenAiResponses.completionId();
        long created = System.currentTimeMillis() / 1000;
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
            sendJson(ctx, responses.completion(id, created, request.model(), transcript, done));
            return;
        }
        SseStream out = new SseStream(ctx, json);
        ChunkWriter writer = new ChunkWriter(out, id, created, request.model(), call.includeUsage());
        try {
            pump.drain(generation, writer);
        } catch (InferenceException e) {
            if (!out.committed()) throw e;
            try {
                out.send(responses.error(ApiError.of(e)));
            } catch (IOException gone) {
                LOG.log(Level.DEBUG, "client went away before the error event");
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "client went away; generation cancelled: {0}", e.toString());
        }
    }

    /** Turns events into chat.completion.chunk objects: role first, then content, reasoning and tool call deltas. */
    private final class ChunkWriter implements EventPump.Listener {
        private final SseStream out;
        private final String id;
        private final long created;
        private final String model;
        private final boolean includeUsage;
        private boolean roleSent;
        private int toolCalls;

        ChunkWriter(SseStream out, String id, long created, String model, boolean includeUsage) {
            this.out = out;
            this.id = id;
            this.created = created;
            this.model = model;
            this.includeUsage = includeUsage;
        }

        @Override
        public void on(GenerationEvent event) throws IOException {
            ObjectNode delta = responses.delta();
            if (!roleSent && !(event instanceof GenerationEvent.Done)) {
                delta.put("role", "assistant");
                roleSent = true;
            }
            ArrayNode logprobs = null;
            switch (event) {
                case GenerationEvent.Token t -> {
                    delta.put("content", t.text());
                    if (t.logprob() != null) logprobs = responses.logprobs(List.of(t.logprob()));
                }
                case GenerationEvent.Thinking t -> delta.put("reasoning", t.text());
                case GenerationEvent.ToolCalls c -> {
                    delta.set("tool_calls", responses.toolCalls(c.calls(), true, toolCalls));
                    toolCalls += c.calls().size();
                }
                case GenerationEvent.Done done -> {
                    out.send(responses.finalChunk(id, created, model, OpenAiResponses.finishReason(done, toolCalls > 0), includeUsage));
                    if (includeUsage) out.send(responses.usageChunk(id, created, model, done.metrics()));
                    out.done();
                    return;
                }
            }
            out.send(responses.chunk(id, created, model, delta, logprobs, includeUsage));
        }
    }

    private void model(Context ctx) {
        String name = ctx.pathParam("model");
        List<ModelSummary> models = inference.models();
        ModelSummary found = models.stream().filter(m -> m.name().equals(name)).findFirst()
                .or(() -> models.stream().filter(m -> m.name().equals(name + ":latest")).findFirst())
                .orElse(null);
        if (found == null) {
            writeError(ctx, new ApiError(404, "The model '" + name + "' does not exist", "model", "model_not_found"));
            return;
        }
        sendJson(ctx, responses.model(found));
    }

    private void embeddings(Context ctx) throws InferenceException {
        Fields f = Fields.of(json.readObject(ctx));
        String model = f.requiredString("model");
        JsonNode input = f.raw("input");
        if (input == null) throw ApiException.badField("input", "input is required");
        List<String> inputs = f.stringOrStrings("input");
        if (inputs.isEmpty()) throw ApiException.badField("input", "input must not be empty");
        String encoding = f.string("encoding_format");
        if (encoding != null && !encoding.equals("float") && !encoding.equals("base64")) {
            throw ApiException.badField("encoding_format", "encoding_format must be \"float\" or \"base64\"");
        }
        Integer dimensions = f.integer("dimensions");
        if (dimensions != null && dimensions < 1) throw ApiException.badField("dimensions", "dimensions must be at least 1");
        var result = inference.embed(new EmbedRequest(model, inputs, true, dimensions, null, null));
        sendJson(ctx, responses.embeddings(result, "base64".equals(encoding)));
    }

    private void sendJson(Context ctx, JsonNode body) {
        ctx.contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(body));
    }
}
