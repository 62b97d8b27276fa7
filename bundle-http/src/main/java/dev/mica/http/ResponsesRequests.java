package dev.mica.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.Options;
import dev.mica.api.inference.OutputFormat;
import dev.mica.api.inference.Think;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Responses API request ({@code POST /v1/responses}) to the contract's {@link ChatRequest}:
 * {@code instructions} become a first system message, {@code input} the messages
 * ({@link ResponsesInput}), flat function tools the nested ones the templates know,
 * {@code text.format} the output format, {@code reasoning.effort} the think level and
 * {@code max_output_tokens} {@code num_predict}.
 *
 * <p>mica keeps no state between requests: {@code store} is accepted but nothing is stored, and
 * what needs a stored response or conversation ({@code previous_response_id},
 * {@code conversation}, {@code background}) is refused with a 400 that says so.
 */
final class ResponsesRequests {
    private final Json json;
    private final OpenAiRequests chat;

    ResponsesRequests(Json json) {
        this.json = json;
        this.chat = new OpenAiRequests(json);
    }

    /**
     * @param echo the request's settings as the response object repeats them
     * @param encryptedReasoning {@code include} asks for {@code reasoning.encrypted_content}
     */
    record Call(ChatRequest request, boolean stream, ObjectNode echo, boolean encryptedReasoning) {}

    Call parse(ObjectNode body) {
        Fields f = Fields.of(body);
        String model = f.requiredString("model");
        refuseState(f);
        f.bool("store"); // type-checked only: nothing is stored either way
        List<Message> messages = new ArrayList<>();
        String instructions = f.string("instructions");
        if (instructions != null && !instructions.isEmpty()) messages.add(Message.of("system", instructions));
        messages.addAll(ResponsesInput.messages(f.raw("input"), chat));
        Integer maxTokens = f.integer("max_output_tokens");
        if (maxTokens != null && maxTokens < 1) throw ApiException.badField("max_output_tokens", "max_output_tokens must be at least 1");
        Options options = new Options(null, maxTokens, null, f.number("temperature", 0, 2), null, f.number("top_p", 0, 1),
                null, null, null, null, null, null, null, null, null, null, null, null);
        List<Map<String, Object>> tools = chat.tools(f);
        boolean required = OpenAiRequests.toolsRequired(f.raw("tool_choice"));
        if (required && tools == null) throw ApiException.badField("tool_choice", "tool_choice requires a tool call but no tools were given");
        ChatRequest request = new ChatRequest(model, messages, tools, textFormat(f.object("text")), options, null,
                reasoning(f.object("reasoning")), false, 0, f.string("prompt_cache_key"), required);
        List<String> include = f.strings("include");
        boolean encrypted = include != null && include.contains("reasoning.encrypted_content");
        return new Call(request, f.bool("stream", false), echo(f), encrypted);
    }

    private static void refuseState(Fields f) {
        if (f.has("previous_response_id")) {
            throw ApiException.badField("previous_response_id",
                    "mica keeps no responses, so previous_response_id cannot continue one: send the whole conversation in input");
        }
        if (f.has("conversation")) {
            throw ApiException.badField("conversation", "mica keeps no conversations: send the whole conversation in input");
        }
        if (f.bool("background", false)) {
            throw ApiException.badField("background", "background responses are not supported: mica keeps no responses to poll");
        }
    }

    private OutputFormat textFormat(ObjectNode text) {
        return text == null ? null : chat.outputFormat(new Fields(text, "text.").object("format"), "text.format");
    }

    /** {@code reasoning.effort}; OpenAI's "minimal" and "xhigh" are the nearest levels mica's templates know. */
    private static Think reasoning(ObjectNode raw) {
        String effort = raw == null ? null : new Fields(raw, "reasoning.").string("effort");
        if (effort == null) return null;
        String level = switch (effort) {
            case "minimal" -> "low";
            case "xhigh" -> "high";
            default -> effort;
        };
        return OllamaRequests.think(TextNode.valueOf(level), "reasoning.effort");
    }

    /** What the response object repeats of the request, with OpenAI's defaults where it was silent. */
    private ObjectNode echo(Fields f) {
        ObjectNode o = json.object();
        o.set("instructions", f.raw("instructions"));
        o.set("max_output_tokens", f.raw("max_output_tokens"));
        o.put("parallel_tool_calls", f.bool("parallel_tool_calls", true));
        o.set("prompt_cache_key", f.raw("prompt_cache_key"));
        ObjectNode reasoning = json.object();
        reasoning.putNull("effort");
        reasoning.putNull("summary");
        o.set("reasoning", f.raw("reasoning") == null ? reasoning : f.raw("reasoning").deepCopy());
        o.put("store", false);
        o.set("temperature", f.raw("temperature"));
        ObjectNode text = json.object();
        text.putObject("format").put("type", "text");
        o.set("text", f.raw("text") == null ? text : f.raw("text").deepCopy());
        o.set("tool_choice", f.raw("tool_choice") == null ? TextNode.valueOf("auto") : f.raw("tool_choice").deepCopy());
        o.set("tools", f.raw("tools") == null ? json.array() : f.raw("tools").deepCopy());
        o.set("top_p", f.raw("top_p"));
        o.put("truncation", "disabled");
        o.set("metadata", f.raw("metadata") == null ? json.object() : f.raw("metadata").deepCopy());
        return o;
    }
}
