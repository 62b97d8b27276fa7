package dev.mica.http;

import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import io.javalin.http.Context;
import java.io.IOException;
import java.lang.System.Logger.Level;

/**
 * OpenAI's Responses API, {@code POST /v1/responses}: what newer OpenAI clients (the Agents SDK,
 * Codex) speak instead of chat completions. Stateless here: every request carries its whole
 * conversation ({@link ResponsesRequests}). The answer is a response object as JSON, or its stream
 * of semantic events ({@link ResponsesEvents}); errors keep OpenAI's {@code {"error": {...}}}
 * shape, as the rest of {@code /v1}.
 */
final class ResponsesApi {
    private static final System.Logger LOG = System.getLogger("mica.http");

    private final Inference inference;
    private final Json json;
    private final Generations generations;
    private final ResponsesRequests requests;
    private final ResponsesObjects objects;

    ResponsesApi(Inference inference, Json json, Generations generations, OpenAiResponses openAi) {
        this.inference = inference;
        this.json = json;
        this.generations = generations;
        this.requests = new ResponsesRequests(json);
        this.objects = new ResponsesObjects(json, openAi);
    }

    void handle(Context ctx) throws Exception {
        ResponsesRequests.Call call = requests.parse(json.readObject(ctx));
        ChatRequest request = call.request();
        var head = new ResponsesObjects.Head(ResponsesObjects.id("resp"), System.currentTimeMillis() / 1000, request.model(),
                call.echo(), call.encryptedReasoning());
        EventPump pump = generations.open();
        Generation generation = pump.start(sink -> inference.chat(request, sink));
        if (!call.stream()) {
            Transcript transcript = new Transcript();
            GenerationEvent.Done done = pump.drain(generation, transcript);
            ctx.contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(objects.response(head, transcript, done)));
            return;
        }
        SseStream out = new SseStream(ctx, json);
        ResponsesEvents events = new ResponsesEvents(out, objects, head);
        try {
            pump.drain(generation, events);
        } catch (InferenceException e) {
            if (!out.committed()) throw e;
            try {
                events.fail(ApiError.of(e));
            } catch (IOException gone) {
                LOG.log(Level.DEBUG, "client went away before the error event");
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "client went away; response cancelled: {0}", e.toString());
        }
    }
}
