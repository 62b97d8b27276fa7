package dev.mica.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Metrics;
import dev.mica.api.inference.ToolCall;
import java.util.Map;
import java.util.UUID;

/** The contract's results as Anthropic's JSON: messages, stream events, usage, errors. */
final class AnthropicResponses {
    private final Json json;

    AnthropicResponses(Json json) {
        this.json = json;
    }

    static String messageId() {
        return "msg_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    static String toolUseId() {
        return "toolu_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    /** The non-streamed answer: thinking, then text, then tool uses, as Anthropic orders them. */
    ObjectNode message(String id, String model, Transcript t, GenerationEvent.Done done) {
        ObjectNode o = head(id, model);
        ArrayNode content = o.putArray("content");
        if (!t.thinking().isEmpty()) {
            content.addObject().put("type", "thinking").put("thinking", t.thinking()).put("signature", "");
        }
        if (!t.content().isEmpty() || t.toolCalls().isEmpty() && t.thinking().isEmpty()) {
            content.addObject().put("type", "text").put("text", t.content());
        }
        for (ToolCall c : t.toolCalls()) content.add(toolUse(c, true));
        o.put("stop_reason", stopReason(done, !t.toolCalls().isEmpty()));
        putStopSequence(o, done);
        o.set("usage", usage(done.metrics()));
        return o;
    }

    /** {@code message_start}: the message with no content yet; input tokens as far as known. */
    ObjectNode messageStart(String id, String model, int promptTokens) {
        ObjectNode message = head(id, model);
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        ObjectNode usage = message.putObject("usage");
        usage.put("input_tokens", Math.max(0, promptTokens));
        usage.put("cache_creation_input_tokens", 0);
        usage.put("cache_read_input_tokens", 0);
        usage.put("output_tokens", 0);
        ObjectNode o = event("message_start");
        o.set("message", message);
        return o;
    }

    ObjectNode ping() {
        return event("ping");
    }

    ObjectNode blockStart(int index, ObjectNode block) {
        ObjectNode o = event("content_block_start");
        o.put("index", index);
        o.set("content_block", block);
        return o;
    }

    ObjectNode textBlock() {
        return json.object().put("type", "text").put("text", "");
    }

    ObjectNode thinkingBlock() {
        return json.object().put("type", "thinking").put("thinking", "");
    }

    /** A tool_use block; {@code withInput} false gives the empty input of a block start. */
    ObjectNode toolUse(ToolCall c, boolean withInput) {
        ObjectNode o = json.object();
        o.put("type", "tool_use");
        o.put("id", c.id() != null ? c.id() : toolUseId());
        o.put("name", c.name());
        o.set("input", withInput ? json.toTree(arguments(c)) : json.object());
        return o;
    }

    /** A delta: {@code text_delta}/text, {@code thinking_delta}/thinking, {@code input_json_delta}/partial_json, {@code signature_delta}/signature. */
    ObjectNode blockDelta(int index, String type, String field, String value) {
        ObjectNode o = event("content_block_delta");
        o.put("index", index);
        o.putObject("delta").put("type", type).put(field, value);
        return o;
    }

    ObjectNode blockStop(int index) {
        return event("content_block_stop").put("index", index);
    }

    /** The tool input as one JSON text, sent whole in one input_json_delta. */
    String inputJson(ToolCall c) {
        return json.text(json.toTree(arguments(c)));
    }

    ObjectNode messageDelta(GenerationEvent.Done done, boolean toolUse) {
        ObjectNode o = event("message_delta");
        ObjectNode delta = o.putObject("delta");
        delta.put("stop_reason", stopReason(done, toolUse));
        putStopSequence(delta, done);
        o.set("usage", usage(done.metrics()));
        return o;
    }

    ObjectNode messageStop() {
        return event("message_stop");
    }

    ObjectNode countTokens(int tokens) {
        return json.object().put("input_tokens", tokens);
    }

    /**
     * {@code input_tokens} counts the prompt tokens computed, {@code cache_read_input_tokens} those
     * reused from the cache, as Anthropic splits them; their sum is the prompt's length.
     */
    ObjectNode usage(Metrics m) {
        ObjectNode u = json.object();
        u.put("input_tokens", m == null ? 0 : m.promptTokens() - m.cachedTokens());
        u.put("cache_creation_input_tokens", 0);
        u.put("cache_read_input_tokens", m == null ? 0 : m.cachedTokens());
        u.put("output_tokens", m == null ? 0 : m.evalCount());
        return u;
    }

    static String stopReason(GenerationEvent.Done done, boolean toolUse) {
        if (done.reason() == GenerationEvent.DoneReason.LENGTH) return "max_tokens";
        if (done.stopSequence() != null) return "stop_sequence";
        return toolUse ? "tool_use" : "end_turn";
    }

    /** {@code {"type": "error", "error": {"type", "message"}}}. */
    ObjectNode error(ApiError e) {
        ObjectNode o = event("error");
        o.putObject("error").put("type", errorType(e.status())).put("message", e.message());
        return o;
    }

    static String errorType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    private ObjectNode head(String id, String model) {
        ObjectNode o = json.object();
        o.put("id", id);
        o.put("type", "message");
        o.put("role", "assistant");
        o.put("model", model);
        return o;
    }

    private ObjectNode event(String type) {
        return json.object().put("type", type);
    }

    private static void putStopSequence(ObjectNode o, GenerationEvent.Done done) {
        if (done.stopSequence() == null) {
            o.putNull("stop_sequence");
        } else {
            o.put("stop_sequence", done.stopSequence());
        }
    }

    private static Map<String, Object> arguments(ToolCall c) {
        return c.arguments() == null ? Map.of() : c.arguments();
    }
}
