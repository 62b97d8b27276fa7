package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.Options;
import io.javalin.http.Context;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.UUID;

/**
 * OpenAI's legacy {@code POST /v1/completions}: text in, text out, no chat template. The prompt goes
 * to the model raw, as OpenAI's completion models take it; with a {@code suffix} it goes through
 * the model's template instead, which is where fill-in-the-middle models say how to insert.
 * {@code max_tokens} defaults to 16 as in OpenAI's API; {@code logprobs} (0 to 5) asks for that
 * many alternatives; {@code echo} puts the prompt before the answer. One prompt and one choice per
 * request ({@code n} and {@code best_of} 1).
 */
final class OpenAiCompletions {
    private static final System.Logger LOG = System.getLogger("mica.http");
    static final int DEFAULT_MAX_TOKENS = 16;

    private final Inference inference;
    private final Json json;
    private final Generations generations;
    private final OpenAiResponses responses;

    OpenAiCompletions(Inference inference, Json json, Generations generations, OpenAiResponses responses) {
        this.inference = inference;
        this.json = json;
        this.generations = generations;
        this.responses = responses;
    }

    private record Call(GenerateRequest request, String prompt, boolean echo, boolean stream, boolean includeUsage) {}

    void handle(Context ctx) throws Exception {
        Call call = parse(json.readObject(ctx));
        GenerateRequest request = call.request();
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        long created = System.currentTimeMillis() / 1000;
        EventPump pump = generations.open();
        Generation generation;
        try {
            generation = inference.generate(request, pump);
        } catch (InferenceException | RuntimeException e) {
            pump.close();
            throw e;
        }
        if (!call.stream()) {
            Transcript t = new Transcript();
            GenerationEvent.Done done = pump.drain(generation, t);
            ObjectNode o = head(id, created, request.model());
            ObjectNode choice = o.putArray("choices").addObject();
            choice.put("text", (call.echo() ? call.prompt() : "") + t.content());
            choice.put("index", 0);
            putLogprobs(choice, t.logprobs(), request.logprobs(), call.echo() ? call.prompt().length() : 0);
            choice.put("finish_reason", OpenAiResponses.finishReason(done, false));
            o.set("usage", responses.usage(done.metrics()));
            ctx.contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(o));
            return;
        }
        SseStream out = new SseStream(ctx, json);
        try {
            int[] offset = {call.echo() ? call.prompt().length() : 0};
            boolean[] echoed = {!call.echo()};
            pump.drain(generation, event -> {
                if (!echoed[0]) {
                    out.send(chunk(id, created, request.model(), call.prompt(), null, null, call.includeUsage(), request.logprobs(), 0));
                    echoed[0] = true;
                }
                switch (event) {
                    case GenerationEvent.Token t -> {
                        out.send(chunk(id, created, request.model(), t.text(), t.logprob(), null, call.includeUsage(), request.logprobs(), offset[0]));
                        offset[0] += t.text().length();
                    }
                    case GenerationEvent.Done done -> {
                        out.send(chunk(id, created, request.model(), "", null, OpenAiResponses.finishReason(done, false), call.includeUsage(), false, 0));
                        if (call.includeUsage()) {
                            ObjectNode usage = head(id, created, request.model());
                            usage.putArray("choices");
                            usage.set("usage", responses.usage(done.metrics()));
                            out.send(usage);
                        }
                        out.done();
                    }
                    default -> { } // reasoning and tool calls have no place in a text completion
                }
            });
        } catch (InferenceException e) {
            if (!out.committed()) throw e;
            try {
                out.send(responses.error(ApiError.of(e)));
            } catch (IOException gone) {
                LOG.log(Level.DEBUG, "client went away before the error event");
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "client went away; completion cancelled: {0}", e.toString());
        }
    }

    private Call parse(ObjectNode body) {
        Fields f = Fields.of(body);
        String model = f.requiredString("model");
        String prompt = prompt(f.raw("prompt"));
        Integer n = f.integer("n");
        if (n != null && n != 1) throw ApiException.badField("n", "only n=1 is supported");
        Integer bestOf = f.integer("best_of");
        if (bestOf != null && bestOf != 1) throw ApiException.badField("best_of", "only best_of=1 is supported");
        Integer maxTokens = f.integer("max_tokens");
        if (maxTokens != null && maxTokens < 0) throw ApiException.badField("max_tokens", "max_tokens must be at least 0");
        Integer logprobs = f.integer("logprobs");
        if (logprobs != null && (logprobs < 0 || logprobs > 5)) throw ApiException.badField("logprobs", "logprobs must be between 0 and 5");
        String suffix = f.string("suffix");
        Options options = new Options(null, maxTokens == null ? DEFAULT_MAX_TOKENS : maxTokens, null,
                f.number("temperature", 0, 2), null, f.number("top_p", 0, 1), null, null, null, null,
                f.number("presence_penalty", -2, 2), f.number("frequency_penalty", -2, 2),
                f.longValue("seed"), f.stringOrStrings("stop"), null, null, null, null);
        boolean raw = suffix == null || suffix.isEmpty();
        GenerateRequest request = new GenerateRequest(model, prompt, suffix, null, null, raw, null, null, null, options, null, null,
                logprobs != null, logprobs == null ? 0 : logprobs);
        ObjectNode streamOptions = f.object("stream_options");
        boolean includeUsage = streamOptions != null && new Fields(streamOptions, "stream_options.").bool("include_usage", false);
        return new Call(request, prompt, f.bool("echo", false), f.bool("stream", false), includeUsage);
    }

    /** A string, or an array holding one string; token arrays and batches are not served. */
    private static String prompt(JsonNode raw) {
        if (raw == null) throw ApiException.badField("prompt", "prompt is required");
        if (raw.isTextual()) return raw.textValue();
        if (raw.isArray() && raw.size() == 1 && raw.get(0).isTextual()) return raw.get(0).textValue();
        throw ApiException.badField("prompt", "prompt must be a string (or an array of exactly one string)");
    }

    private ObjectNode head(String id, long created, String model) {
        ObjectNode o = json.object();
        o.put("id", id);
        o.put("object", "text_completion");
        o.put("created", created);
        o.put("model", model);
        o.put("system_fingerprint", OpenAiResponses.FINGERPRINT);
        return o;
    }

    private ObjectNode chunk(String id, long created, String model, String text, GenerationEvent.Logprob lp, String finishReason,
                             boolean includeUsage, boolean logprobs, int offset) {
        ObjectNode o = head(id, created, model);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("text", text);
        choice.put("index", 0);
        putLogprobs(choice, lp == null ? List.of() : List.of(lp), logprobs && lp != null, offset);
        if (finishReason == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finishReason);
        if (includeUsage) o.putNull("usage");
        return o;
    }

    /** The legacy shape: parallel arrays of tokens, their log-probabilities, top alternatives and text offsets. */
    private void putLogprobs(ObjectNode choice, List<GenerationEvent.Logprob> entries, boolean wanted, int offset) {
        if (!wanted) {
            choice.putNull("logprobs");
            return;
        }
        ObjectNode lp = choice.putObject("logprobs");
        ArrayNode tokens = lp.putArray("tokens");
        ArrayNode values = lp.putArray("token_logprobs");
        ArrayNode tops = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        int at = offset;
        for (GenerationEvent.Logprob e : entries) {
            tokens.add(e.token());
            values.add(e.logprob());
            ObjectNode top = tops.addObject();
            if (e.top() != null) e.top().forEach(alt -> top.put(alt.token(), alt.logprob()));
            offsets.add(at);
            at += e.token().length();
        }
    }
}
