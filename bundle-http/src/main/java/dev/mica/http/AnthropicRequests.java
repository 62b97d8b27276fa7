package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.Options;
import dev.mica.api.inference.Think;
import dev.mica.api.inference.ToolCall;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Anthropic's Messages request to the contract's {@link ChatRequest}.
 *
 * <p>The mapping is a pure function of the request, so a conversation replayed with one more turn
 * renders to the same prompt bytes up to where it grew (coding agents resend the whole history on
 * every turn; prefix reuse depends on this): system blocks join with a blank line, content blocks
 * keep their order, tool inputs keep their key order, and nothing time- or id-dependent is added.
 *
 * <ul>
 *   <li>{@code system}: a string or text blocks, one system message.
 *   <li>user content: text and image blocks become one user message per run of them;
 *       each {@code tool_result} becomes a {@code tool} message naming the call it answers.
 *   <li>assistant content: {@code thinking} becomes the message's reasoning, {@code text} its
 *       content, {@code tool_use} its tool calls.
 *   <li>{@code tools} ({@code name}, {@code description}, {@code input_schema}) become function
 *       tools; server tools without an input schema (web search, ...) are left out: mica runs none.
 *   <li>{@code tool_choice}: {@code none} sends no tools, {@code tool} only the named one;
 *       {@code any} and {@code tool} require the answer to call one (the engine constrains it).
 *   <li>{@code thinking}: {@code enabled}/{@code adaptive} think, {@code disabled} does not;
 *       {@code budget_tokens} caps the reasoning (the engine closes the think block at the budget).
 * </ul>
 */
final class AnthropicRequests {
    private static final System.Logger LOG = System.getLogger("mica.http");

    private final Json json;

    AnthropicRequests(Json json) {
        this.json = json;
    }

    record MessagesCall(ChatRequest request, boolean stream) {}

    /** {@code POST /v1/messages}: {@code max_tokens} is required, as Anthropic requires it. */
    MessagesCall messages(ObjectNode body) {
        Fields f = Fields.of(body);
        Integer maxTokens = f.integer("max_tokens");
        if (maxTokens == null) throw ApiException.badField("max_tokens", "max_tokens: field required");
        if (maxTokens < 1) throw ApiException.badField("max_tokens", "max_tokens: must be at least 1");
        return new MessagesCall(request(f, maxTokens), f.bool("stream", false));
    }

    /** {@code POST /v1/messages/count_tokens}: the same body without {@code max_tokens}. */
    ChatRequest countTokens(ObjectNode body) {
        return request(Fields.of(body), null);
    }

    private ChatRequest request(Fields f, Integer maxTokens) {
        String model = f.requiredString("model");
        List<ObjectNode> rawMessages = f.objects("messages");
        if (rawMessages == null) throw ApiException.badField("messages", "messages: field required");
        List<Message> messages = new ArrayList<>();
        String system = system(f.raw("system"));
        if (system != null) messages.add(Message.of("system", system));
        Map<String, String> toolNames = new HashMap<>();
        for (int i = 0; i < rawMessages.size(); i++) {
            message(rawMessages.get(i), i, toolNames, messages);
        }
        ObjectNode metadata = f.object("metadata");
        String user = metadata == null ? null : new Fields(metadata, "metadata.").string("user_id");
        Options options = new Options(null, maxTokens, null, f.number("temperature", 0, 1), topK(f), f.number("top_p", 0, 1),
                null, null, null, null, null, null, null, stopSequences(f), null, null, null, null);
        List<Map<String, Object>> tools = tools(f);
        ObjectNode choice = f.object("tool_choice");
        String type = choice == null ? "auto" : new Fields(choice, "tool_choice.").string("type");
        boolean required = tools != null && !tools.isEmpty() && ("any".equals(type) || "tool".equals(type));
        return new ChatRequest(model, messages, tools, null, options, null, thinking(f.object("thinking")), false, 0, user, required);
    }

    private static Integer topK(Fields f) {
        Integer k = f.integer("top_k");
        if (k != null && k < 0) throw ApiException.badField("top_k", "top_k: must be at least 0");
        return k;
    }

    private static List<String> stopSequences(Fields f) {
        List<String> stops = f.strings("stop_sequences");
        if (stops == null) return null;
        for (String s : stops) {
            if (s.isEmpty()) throw ApiException.badField("stop_sequences", "stop_sequences: each stop sequence must be non-empty");
        }
        return stops;
    }

    /** A string, or an array of text blocks joined by a blank line. */
    private static String system(JsonNode raw) {
        if (raw == null) return null;
        if (raw.isTextual()) return raw.textValue().isEmpty() ? null : raw.textValue();
        if (!raw.isArray()) throw ApiException.badField("system", "system: expected a string or an array of text blocks");
        List<String> parts = new ArrayList<>();
        for (JsonNode block : raw) {
            if (!(block instanceof ObjectNode o)) throw ApiException.badField("system", "system: expected text blocks");
            Fields bf = new Fields(o, "system[].");
            String type = bf.requiredString("type");
            if (!type.equals("text")) throw ApiException.badField("system", "system: only text blocks are allowed, not \"" + type + "\"");
            parts.add(bf.requiredString("text"));
        }
        return parts.isEmpty() ? null : String.join("\n\n", parts);
    }

    private void message(ObjectNode raw, int index, Map<String, String> toolNames, List<Message> out) {
        String where = "messages[" + index + "]";
        Fields f = new Fields(raw, where + ".");
        String role = f.requiredString("role");
        if (!role.equals("user") && !role.equals("assistant")) {
            throw ApiException.badField("messages", where + ".role: expected \"user\" or \"assistant\", got \"" + role + "\"");
        }
        JsonNode content = f.raw("content");
        if (content == null) throw ApiException.badField("messages", where + ".content: field required");
        if (content.isTextual()) {
            out.add(Message.of(role, content.textValue()));
            return;
        }
        if (!content.isArray()) throw ApiException.badField("messages", where + ".content: expected a string or an array of content blocks");
        if (role.equals("assistant")) {
            out.add(assistant(content, where, toolNames));
        } else {
            user(content, where, toolNames, out);
        }
    }

    private Message assistant(JsonNode blocks, String where, Map<String, String> toolNames) {
        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode raw : blocks) {
            Fields b = block(raw, where);
            switch (b.requiredString("type")) {
                case "text" -> text.append(b.requiredString("text"));
                case "thinking" -> thinking.append(b.requiredString("thinking"));
                case "redacted_thinking" -> { } // opaque to any model but the one that wrote it
                case "tool_use" -> {
                    String id = b.requiredString("id");
                    String name = b.requiredString("name");
                    ObjectNode input = b.object("input");
                    toolNames.put(id, name);
                    calls.add(new ToolCall(id, name, input == null ? Map.of() : json.toMap(input)));
                }
                default -> throw unsupported(b, where);
            }
        }
        return new Message("assistant", text.toString(), thinking.isEmpty() ? null : thinking.toString(), List.of(), calls, null, null);
    }

    /** Consecutive text and image blocks form one user message; each tool result is a message of its own. */
    private void user(JsonNode blocks, String where, Map<String, String> toolNames, List<Message> out) {
        StringBuilder text = new StringBuilder();
        List<String> images = new ArrayList<>();
        boolean pending = false;
        for (JsonNode raw : blocks) {
            Fields b = block(raw, where);
            switch (b.requiredString("type")) {
                case "text" -> {
                    if (!text.isEmpty()) text.append("\n\n");
                    text.append(b.requiredString("text"));
                    pending = true;
                }
                case "image" -> {
                    images.add(image(b, where));
                    pending = true;
                }
                case "tool_result" -> {
                    if (pending) {
                        out.add(new Message("user", text.toString(), null, List.copyOf(images), List.of(), null, null));
                        text.setLength(0);
                        images.clear();
                        pending = false;
                    }
                    out.add(toolResult(b, where, toolNames));
                }
                default -> throw unsupported(b, where);
            }
        }
        if (pending) out.add(new Message("user", text.toString(), null, images, List.of(), null, null));
    }

    private Message toolResult(Fields b, String where, Map<String, String> toolNames) {
        String id = b.requiredString("tool_use_id");
        JsonNode content = b.raw("content");
        StringBuilder text = new StringBuilder();
        List<String> images = new ArrayList<>();
        if (content != null && content.isTextual()) {
            text.append(content.textValue());
        } else if (content != null) {
            if (!content.isArray()) throw ApiException.badField("messages", where + ": tool_result.content must be a string or an array of blocks");
            for (JsonNode raw : content) {
                Fields inner = block(raw, where);
                switch (inner.requiredString("type")) {
                    case "text" -> {
                        if (!text.isEmpty()) text.append("\n\n");
                        text.append(inner.requiredString("text"));
                    }
                    case "image" -> images.add(image(inner, where));
                    default -> throw unsupported(inner, where);
                }
            }
        }
        String result = b.bool("is_error", false) ? "Error: " + text : text.toString();
        return new Message("tool", result, null, images, List.of(), toolNames.get(id), id);
    }

    /** Base64 image sources only: the server fetches nothing from the network. */
    private static String image(Fields b, String where) {
        ObjectNode source = b.object("source");
        if (source == null) throw ApiException.badField("messages", where + ": image.source is required");
        Fields s = new Fields(source, where + ".image.source.");
        String type = s.requiredString("type");
        if (!type.equals("base64")) throw ApiException.badField("messages", where + ": only base64 image sources are supported, not \"" + type + "\"");
        String data = s.requiredString("data");
        try {
            Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField("messages", where + ": image data is not base64");
        }
        return data;
    }

    private static Fields block(JsonNode raw, String where) {
        if (!(raw instanceof ObjectNode o)) throw ApiException.badField("messages", where + ".content: expected an array of content blocks");
        return new Fields(o, where + ".content[].");
    }

    private static ApiException unsupported(Fields b, String where) {
        return ApiException.badField("messages", where + ": content block type \"" + b.string("type") + "\" is not supported");
    }

    private List<Map<String, Object>> tools(Fields f) {
        List<ObjectNode> tools = f.objects("tools");
        if (tools == null) return null;
        ObjectNode choice = f.object("tool_choice");
        String only = null;
        if (choice != null) {
            Fields c = new Fields(choice, "tool_choice.");
            switch (c.requiredString("type")) {
                case "none" -> {
                    return null;
                }
                case "auto", "any" -> { }
                case "tool" -> only = c.requiredString("name");
                default -> throw ApiException.badField("tool_choice", "tool_choice.type: expected auto, any, tool or none");
            }
        }
        List<Map<String, Object>> out = new ArrayList<>(tools.size());
        for (int i = 0; i < tools.size(); i++) {
            Fields t = new Fields(tools.get(i), "tools[" + i + "].");
            String name = t.requiredString("name");
            ObjectNode schema = t.object("input_schema");
            if (schema == null) {
                LOG.log(System.Logger.Level.DEBUG, "leaving out server tool {0}: mica runs no server tools", name);
                continue;
            }
            if (only != null && !only.equals(name)) continue;
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", name);
            String description = t.string("description");
            if (description != null) function.put("description", description);
            function.put("parameters", json.toMap(schema));
            Map<String, Object> tool = new LinkedHashMap<>();
            tool.put("type", "function");
            tool.put("function", function);
            out.add(tool);
        }
        if (only != null && out.isEmpty()) throw ApiException.badField("tool_choice", "tool_choice names \"" + only + "\", which is not among the tools");
        return out;
    }

    private static Think thinking(ObjectNode raw) {
        if (raw == null) return null;
        Fields f = new Fields(raw, "thinking.");
        return switch (f.requiredString("type")) {
            case "enabled", "adaptive" -> {
                Integer budget = f.integer("budget_tokens");
                if (budget != null && budget < 1) throw ApiException.badField("thinking", "thinking.budget_tokens: must be at least 1");
                yield budget == null ? Think.ON : new Think(true, null, budget);
            }
            case "disabled" -> Think.OFF;
            default -> throw ApiException.badField("thinking", "thinking.type: expected enabled, adaptive or disabled");
        };
    }
}
