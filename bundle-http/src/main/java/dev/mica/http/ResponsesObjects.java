package dev.mica.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Metrics;
import dev.mica.api.inference.ToolCall;
import java.util.Map;
import java.util.UUID;

/**
 * The Responses API's objects: the response, its output items ({@code reasoning}, {@code message},
 * {@code function_call}) and usage. The same items serve the JSON answer and the stream's
 * added/done events, so both tell the same story.
 */
final class ResponsesObjects {
    static final String IN_PROGRESS = "in_progress";
    static final String COMPLETED = "completed";
    static final String INCOMPLETE = "incomplete";
    static final String FAILED = "failed";

    /**
     * What every rendering of one response shares.
     *
     * @param echo the request's settings the response object repeats
     * @param encryptedReasoning the client asked for {@code reasoning.encrypted_content}
     */
    record Head(String id, long createdAt, String model, ObjectNode echo, boolean encryptedReasoning) {}

    private final Json json;
    private final OpenAiResponses openAi;

    ResponsesObjects(Json json, OpenAiResponses openAi) {
        this.json = json;
        this.openAi = openAi;
    }

    /** A stream event: its type and its place in the stream. */
    ObjectNode event(String type, int sequence) {
        ObjectNode e = json.object();
        e.put("type", type);
        e.put("sequence_number", sequence);
        return e;
    }

    /**
     * Fills an {@code error} event. The fields go both flat, as OpenAI's stream reference shows
     * them, and nested under {@code error} in its error shape, as its SDKs also read them.
     */
    ObjectNode error(ObjectNode event, ApiError error) {
        ObjectNode body = (ObjectNode) openAi.error(error).get("error");
        event.put("code", error.code());
        event.put("message", error.message());
        event.set("param", body.get("param"));
        event.set("error", body);
        return event;
    }

    /** An empty output list. */
    ArrayNode items() {
        return json.array();
    }

    static String id(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "");
    }

    /** A length stop leaves the response incomplete, as OpenAI reports a {@code max_output_tokens} cut. */
    static String status(GenerationEvent.Done done) {
        return done.reason() == GenerationEvent.DoneReason.LENGTH ? INCOMPLETE : COMPLETED;
    }

    /** The non-streamed answer: reasoning, then the message (unless only tool calls came), then the calls. */
    ObjectNode response(Head head, Transcript t, GenerationEvent.Done done) {
        ArrayNode output = json.array();
        if (!t.thinking().isEmpty()) output.add(reasoning(head, id("rs"), t.thinking(), COMPLETED));
        if (!t.content().isEmpty() || t.toolCalls().isEmpty()) output.add(message(id("msg"), t.content(), status(done)));
        for (ToolCall c : t.toolCalls()) output.add(functionCall(id("fc"), callId(c), c.name(), arguments(c), COMPLETED));
        return response(head, status(done), output, done);
    }

    /** The response object in any state; usage comes with the end ({@code done} is null before). */
    ObjectNode response(Head head, String status, ArrayNode output, GenerationEvent.Done done) {
        ObjectNode o = json.object();
        o.put("id", head.id());
        o.put("object", "response");
        o.put("created_at", head.createdAt());
        o.put("status", status);
        if (status.equals(COMPLETED)) {
            o.put("completed_at", System.currentTimeMillis() / 1000);
        } else {
            o.putNull("completed_at");
        }
        o.putNull("error");
        if (status.equals(INCOMPLETE)) {
            o.putObject("incomplete_details").put("reason", "max_output_tokens");
        } else {
            o.putNull("incomplete_details");
        }
        o.put("model", head.model());
        o.set("output", output);
        o.setAll(head.echo());
        o.putNull("previous_response_id");
        if (done == null) {
            o.putNull("usage");
        } else {
            o.set("usage", usage(done.metrics()));
        }
        return o;
    }

    /** The response of a generation that failed part way: what was done, and the error. */
    ObjectNode failed(Head head, ArrayNode output, ApiError error) {
        ObjectNode o = response(head, FAILED, output, null);
        ObjectNode e = o.putObject("error");
        e.put("code", error.code());
        e.put("message", error.message());
        return o;
    }

    /**
     * A reasoning item: the model's thinking as {@code reasoning_text} content (the summary stays
     * empty, as no summary is made). Asked for, the text also goes in {@code encrypted_content}:
     * mica does not encrypt, and a client that sends that field back gets its thinking back.
     *
     * @param text null for an item whose content parts are still to come
     */
    ObjectNode reasoning(Head head, String id, String text, String status) {
        ObjectNode o = item(id, "reasoning", status);
        o.putArray("summary");
        ArrayNode content = o.putArray("content");
        if (text != null) content.add(part("reasoning_text", text));
        if (text != null && head.encryptedReasoning()) o.put("encrypted_content", text);
        return o;
    }

    /** @param text null for an item whose content parts are still to come */
    ObjectNode message(String id, String text, String status) {
        ObjectNode o = item(id, "message", status);
        o.put("role", "assistant");
        ArrayNode content = o.putArray("content");
        if (text != null) content.add(part("output_text", text));
        return o;
    }

    ObjectNode functionCall(String id, String callId, String name, String arguments, String status) {
        ObjectNode o = item(id, "function_call", status);
        o.put("call_id", callId);
        o.put("name", name);
        o.put("arguments", arguments);
        return o;
    }

    /** A content part: {@code output_text} carries (empty) annotations and logprobs, as OpenAI's do. */
    ObjectNode part(String type, String text) {
        ObjectNode o = json.object();
        o.put("type", type);
        o.put("text", text);
        if (type.equals("output_text")) {
            o.putArray("annotations");
            o.putArray("logprobs");
        }
        return o;
    }

    static String callId(ToolCall c) {
        return c.id() != null ? c.id() : OpenAiResponses.callId();
    }

    /** Arguments as JSON text, as OpenAI sends them. */
    String arguments(ToolCall c) {
        return json.text(json.toTree(c.arguments() == null ? Map.of() : c.arguments()));
    }

    /** The engine does not count reasoning tokens apart from answer tokens: they are all output tokens here. */
    ObjectNode usage(Metrics m) {
        int input = m == null ? 0 : m.promptTokens();
        int output = m == null ? 0 : m.evalCount();
        ObjectNode u = json.object();
        u.put("input_tokens", input);
        u.putObject("input_tokens_details").put("cached_tokens", m == null ? 0 : m.cachedTokens());
        u.put("output_tokens", output);
        u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        u.put("total_tokens", input + output);
        return u;
    }

    private ObjectNode item(String id, String type, String status) {
        ObjectNode o = json.object();
        o.put("id", id);
        o.put("type", type);
        o.put("status", status);
        return o;
    }
}
