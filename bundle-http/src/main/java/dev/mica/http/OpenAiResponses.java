package dev.mica.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.EmbedResult;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Metrics;
import dev.mica.api.inference.ModelSummary;
import dev.mica.api.inference.ToolCall;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The contract's results as OpenAI's JSON: completions, stream chunks, usage, models, embeddings, errors. */
final class OpenAiResponses {
    static final String FINGERPRINT = "fp_mica";

    private final Json json;

    OpenAiResponses(Json json) {
        this.json = json;
    }

    static String completionId() {
        return "chatcmpl-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    static String callId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    /** The non-streamed answer. */
    ObjectNode completion(String id, long created, String model, Transcript t, GenerationEvent.Done done) {
        ObjectNode o = head(id, "chat.completion", created, model);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        if (t.content().isEmpty() && !t.toolCalls().isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", t.content());
        }
        if (!t.thinking().isEmpty()) message.put("reasoning", t.thinking());
        if (!t.toolCalls().isEmpty()) message.set("tool_calls", toolCalls(t.toolCalls(), false));
        if (t.logprobs().isEmpty()) {
            choice.putNull("logprobs");
        } else {
            choice.putObject("logprobs").set("content", logprobs(t.logprobs()));
        }
        choice.put("finish_reason", finishReason(done, !t.toolCalls().isEmpty()));
        o.set("usage", usage(done.metrics()));
        return o;
    }

    /** One streamed chunk with a delta and no finish reason yet. */
    ObjectNode chunk(String id, long created, String model, ObjectNode delta, ArrayNode logprobs, boolean includeUsage) {
        ObjectNode o = head(id, "chat.completion.chunk", created, model);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        if (logprobs == null) {
            choice.putNull("logprobs");
        } else {
            choice.putObject("logprobs").set("content", logprobs);
        }
        choice.putNull("finish_reason");
        if (includeUsage) o.putNull("usage"); // OpenAI: null in every chunk but the last when usage is asked for
        return o;
    }

    /** The chunk that carries the finish reason, with an empty delta. */
    ObjectNode finalChunk(String id, long created, String model, String finishReason, boolean includeUsage) {
        ObjectNode o = chunk(id, created, model, json.object(), null, includeUsage);
        ((ObjectNode) o.withArray("choices").get(0)).put("finish_reason", finishReason);
        return o;
    }

    /** {@code stream_options.include_usage}: a last chunk with no choices and the usage. */
    ObjectNode usageChunk(String id, long created, String model, Metrics metrics) {
        ObjectNode o = head(id, "chat.completion.chunk", created, model);
        o.putArray("choices");
        o.set("usage", usage(metrics));
        return o;
    }

    ObjectNode delta() {
        return json.object();
    }

    static String finishReason(GenerationEvent.Done done, boolean toolCalls) {
        if (done.reason() == GenerationEvent.DoneReason.LENGTH) return "length";
        return toolCalls ? "tool_calls" : "stop";
    }

    ObjectNode usage(Metrics m) {
        ObjectNode u = json.object();
        int prompt = m == null ? 0 : m.promptTokens();
        int completion = m == null ? 0 : m.evalCount();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        if (m != null && m.cachedTokens() > 0) {
            u.putObject("prompt_tokens_details").put("cached_tokens", m.cachedTokens());
        }
        return u;
    }

    /** Tool calls with arguments as JSON text; streamed ones carry their index. */
    ArrayNode toolCalls(List<ToolCall> calls, boolean indexed) {
        return toolCalls(calls, indexed, 0);
    }

    ArrayNode toolCalls(List<ToolCall> calls, boolean indexed, int firstIndex) {
        ArrayNode list = json.array();
        for (int i = 0; i < calls.size(); i++) {
            ToolCall c = calls.get(i);
            ObjectNode call = list.addObject();
            if (indexed) call.put("index", firstIndex + i);
            call.put("id", c.id() != null ? c.id() : callId());
            call.put("type", "function");
            ObjectNode function = call.putObject("function");
            function.put("name", c.name());
            function.put("arguments", json.text(json.toTree(c.arguments() == null ? Map.of() : c.arguments())));
        }
        return list;
    }

    ArrayNode logprobs(List<GenerationEvent.Logprob> logprobs) {
        ArrayNode list = json.array();
        for (GenerationEvent.Logprob lp : logprobs) {
            ObjectNode row = logprob(list.addObject(), lp);
            ArrayNode top = row.putArray("top_logprobs");
            if (lp.top() != null) {
                for (GenerationEvent.Logprob alt : lp.top()) logprob(top.addObject(), alt);
            }
        }
        return list;
    }

    private static ObjectNode logprob(ObjectNode o, GenerationEvent.Logprob lp) {
        o.put("token", lp.token());
        o.put("logprob", lp.logprob());
        if (lp.bytes() == null) {
            o.putNull("bytes");
        } else {
            ArrayNode bytes = o.putArray("bytes");
            for (byte b : lp.bytes()) bytes.add(b & 0xff);
        }
        return o;
    }

    ObjectNode models(List<ModelSummary> models) {
        ObjectNode o = json.object();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        for (ModelSummary m : models) data.add(model(m));
        return o;
    }

    ObjectNode model(ModelSummary m) {
        ObjectNode o = json.object();
        o.put("id", m.name());
        o.put("object", "model");
        o.put("created", m.modifiedAt() == null ? 0 : m.modifiedAt().getEpochSecond());
        int slash = m.name().indexOf('/');
        o.put("owned_by", slash > 0 ? m.name().substring(0, slash) : "library");
        return o;
    }

    ObjectNode embeddings(EmbedResult r, boolean base64) {
        ObjectNode o = json.object();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        for (int i = 0; i < r.embeddings().size(); i++) {
            float[] e = r.embeddings().get(i);
            ObjectNode row = data.addObject();
            row.put("object", "embedding");
            if (base64) {
                ByteBuffer buf = ByteBuffer.allocate(e.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : e) buf.putFloat(v);
                row.put("embedding", Base64.getEncoder().encodeToString(buf.array()));
            } else {
                ArrayNode vector = row.putArray("embedding");
                for (float v : e) vector.add(v);
            }
            row.put("index", i);
        }
        o.put("model", r.model());
        ObjectNode usage = o.putObject("usage");
        usage.put("prompt_tokens", r.promptTokens());
        usage.put("total_tokens", r.promptTokens());
        return o;
    }

    /** {@code {"error": {"message", "type", "param", "code"}}}. */
    ObjectNode error(ApiError e) {
        ObjectNode o = json.object();
        ObjectNode error = o.putObject("error");
        error.put("message", e.message());
        error.put("type", e.status() >= 500 ? "server_error" : "invalid_request_error");
        if (e.param() == null) {
            error.putNull("param");
        } else {
            error.put("param", e.param());
        }
        error.put("code", e.code());
        return o;
    }

    private ObjectNode head(String id, String object, long created, String model) {
        ObjectNode o = json.object();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        o.put("model", model);
        o.put("system_fingerprint", FINGERPRINT);
        return o;
    }
}
