package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.Options;
import dev.mica.api.inference.OutputFormat;
import dev.mica.api.inference.Think;
import dev.mica.api.inference.ToolCall;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OpenAI's chat completion request to the contract's {@link ChatRequest}: {@code max_tokens} and
 * {@code max_completion_tokens} become {@code num_predict}, content parts are flattened to text and
 * base64 images, tool call arguments (JSON strings here) are parsed, {@code developer} is a system
 * message and a {@code tool} message gets the name of the call it answers.
 */
final class OpenAiRequests {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private final Json json;
    private final OllamaRequests ollama;

    OpenAiRequests(Json json) {
        this.json = json;
        this.ollama = new OllamaRequests(json);
    }

    record ChatCall(ChatRequest request, boolean stream, boolean includeUsage) {}

    ChatCall chat(ObjectNode body) {
        Fields f = Fields.of(body);
        String model = f.requiredString("model");
        List<ObjectNode> rawMessages = f.objects("messages");
        if (rawMessages == null || rawMessages.isEmpty()) {
            throw ApiException.badField("messages", "messages must be a non-empty array");
        }
        Integer n = f.integer("n");
        if (n != null && n != 1) {
            throw ApiException.badField("n", "only n=1 is supported");
        }
        List<Message> messages = messages(rawMessages);
        Integer maxTokens = f.integer("max_completion_tokens");
        String maxField = "max_completion_tokens";
        if (maxTokens == null) {
            maxTokens = f.integer("max_tokens");
            maxField = "max_tokens";
        }
        if (maxTokens != null && maxTokens < 1) {
            throw ApiException.badField(maxField, maxField + " must be at least 1");
        }
        Options options = new Options(null, maxTokens, null,
                f.number("temperature", 0, 2), null, f.number("top_p", 0, 1), null, null, null, null,
                f.number("presence_penalty", -2, 2), f.number("frequency_penalty", -2, 2),
                f.longValue("seed"), f.stringOrStrings("stop"), null, null, null, null);
        boolean logprobs = f.bool("logprobs", false);
        Integer topLogprobs = f.integer("top_logprobs");
        if (topLogprobs != null && (topLogprobs < 0 || topLogprobs > 20)) {
            throw ApiException.badField("top_logprobs", "top_logprobs must be between 0 and 20");
        }
        List<Map<String, Object>> tools = tools(f);
        boolean required = toolsRequired(f.raw("tool_choice"));
        if (required && tools == null) throw ApiException.badField("tool_choice", "tool_choice requires a tool call but no tools were given");
        ChatRequest request = new ChatRequest(model, messages, tools, outputFormat(f.object("response_format"), "response_format"), options,
                null, reasoning(f), logprobs, topLogprobs == null ? 0 : topLogprobs, f.string("prompt_cache_key"), required);
        ObjectNode streamOptions = f.object("stream_options");
        boolean includeUsage = streamOptions != null && new Fields(streamOptions, "stream_options.").bool("include_usage", false);
        return new ChatCall(request, f.bool("stream", false), includeUsage);
    }

    private List<Message> messages(List<ObjectNode> raw) {
        List<Message> out = new ArrayList<>(raw.size());
        Map<String, String> callNames = new HashMap<>(); // tool_call_id -> function name, for tool results
        for (int i = 0; i < raw.size(); i++) {
            Fields f = new Fields(raw.get(i), "messages[" + i + "].");
            String role = f.requiredString("role");
            if (!ROLES.contains(role)) {
                throw ApiException.badField("messages", "invalid messages[" + i + "].role: \"" + role + "\" (expected system, developer, user, assistant or tool)");
            }
            List<String> images = new ArrayList<>();
            String content = content(f, i, images);
            List<ToolCall> calls = role.equals("assistant") ? toolCalls(f, i, callNames) : List.of();
            String thinking = f.string("reasoning") != null ? f.string("reasoning") : f.string("reasoning_content");
            String toolCallId = f.string("tool_call_id");
            String toolName = role.equals("tool") && toolCallId != null ? callNames.get(toolCallId) : null;
            out.add(new Message(role.equals("developer") ? "system" : role, content, thinking, images, calls, toolName, toolCallId));
        }
        return out;
    }

    /** A string, null, or an array of parts: text parts are joined, image parts become base64 images. */
    private static String content(Fields f, int index, List<String> images) {
        JsonNode raw = f.raw("content");
        if (raw == null) return "";
        if (raw.isTextual()) return raw.textValue();
        if (!raw.isArray()) throw f.wrong("content", "a string or an array of content parts", raw);
        StringBuilder text = new StringBuilder();
        for (JsonNode part : raw) {
            if (!(part instanceof ObjectNode p)) throw f.wrong("content", "an array of content parts", part);
            Fields pf = new Fields(p, "messages[" + index + "].content[].");
            String type = pf.requiredString("type");
            switch (type) {
                case "text" -> text.append(pf.requiredString("text"));
                case "image_url" -> images.add(dataUrl(pf, index));
                default -> throw ApiException.badField("messages", "unsupported content part type \"" + type + "\" in messages[" + index + "]");
            }
        }
        return text.toString();
    }

    private static String dataUrl(Fields part, int index) {
        JsonNode image = part.raw("image_url");
        String url = image == null ? null : image.isTextual() ? image.textValue() : image.path("url").asText(null);
        if (url == null) throw ApiException.badField("messages", "messages[" + index + "]: image_url.url is required");
        return imageData(url, "messages", "messages[" + index + "]");
    }

    /**
     * The base64 data of a {@code data:} URL. Only those: the server fetches nothing from the network.
     *
     * @param param the request field blamed in errors; {@code where} names the item within it
     */
    static String imageData(String url, String param, String where) {
        int comma = url.indexOf(',');
        if (!url.startsWith("data:") || comma < 0 || !url.substring(0, comma).endsWith(";base64")) {
            throw ApiException.badField(param, where + ": only base64 data URLs are supported for images");
        }
        String data = url.substring(comma + 1);
        try {
            Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(param, where + ": image data is not base64");
        }
        return data;
    }

    private List<ToolCall> toolCalls(Fields f, int index, Map<String, String> callNames) {
        List<ObjectNode> raw = f.objects("tool_calls");
        if (raw == null) return List.of();
        List<ToolCall> out = new ArrayList<>(raw.size());
        for (ObjectNode c : raw) {
            Fields cf = new Fields(c, "messages[" + index + "].tool_calls[].");
            ObjectNode function = cf.object("function");
            if (function == null) throw ApiException.badField("messages", "messages[" + index + "].tool_calls[].function is required");
            Fields ff = new Fields(function, "messages[" + index + "].tool_calls[].function.");
            String name = ff.requiredString("name");
            String id = cf.string("id");
            if (id != null) callNames.put(id, name);
            out.add(new ToolCall(id, name, arguments(ff.raw("arguments"), "messages", "messages[" + index + "]")));
        }
        return out;
    }

    /**
     * Tool call arguments, a JSON object or (as OpenAI sends them) JSON text holding one.
     *
     * @param param the request field blamed in errors; {@code where} names the item within it
     */
    Map<String, Object> arguments(JsonNode raw, String param, String where) {
        if (raw == null) return Map.of();
        JsonNode node = raw;
        if (raw.isTextual()) {
            if (raw.textValue().isBlank()) return Map.of();
            try {
                node = json.parse(raw.textValue());
            } catch (Exception e) {
                throw ApiException.badField(param, where + ": tool call arguments are not valid JSON");
            }
        }
        if (!node.isObject()) throw ApiException.badField(param, where + ": tool call arguments must be a JSON object");
        return json.toMap(node);
    }

    /**
     * {@code tools} in chat completions' nested shape ({@code {"type": "function", "function":
     * {"name", ...}}}) or the Responses API's flat one ({@code {"type": "function", "name", ...}});
     * the contract gets the nested one, which chat templates know. {@code tool_choice}:
     * {@code "none"} sends no tools, a named function sends only that one; {@code "auto"} and
     * {@code "required"} send them all (see {@link #toolsRequired} for which of them the answer
     * must call).
     */
    List<Map<String, Object>> tools(Fields f) {
        List<ObjectNode> tools = f.objects("tools");
        String only = toolChoice(f.raw("tool_choice"));
        if (tools == null || tools.isEmpty()) {
            if (only != null && !only.isEmpty()) throw ApiException.badField("tool_choice", "tool_choice names a function but no tools were given");
            return null;
        }
        List<Map<String, Object>> out = new ArrayList<>(tools.size());
        for (ObjectNode t : tools) {
            ObjectNode tool = nested(t);
            if (only == null || only.equals(tool.get("function").get("name").textValue())) out.add(json.toMap(tool));
        }
        if ("".equals(only)) return null;
        if (only != null && out.isEmpty()) throw ApiException.badField("tool_choice", "tool_choice names \"" + only + "\", which is not among the tools");
        return out;
    }

    /** {@code "required"} and a named function: the answer must be a call (the engine constrains it to one). */
    static boolean toolsRequired(JsonNode choice) {
        return choice != null && (choice.isTextual() ? choice.textValue().equals("required") : choice.isObject());
    }

    private ObjectNode nested(ObjectNode tool) {
        Fields tf = new Fields(tool, "tools[].");
        ObjectNode function = tf.object("function");
        if (function != null) {
            new Fields(function, "tools[].function.").requiredString("name");
            return tool;
        }
        String type = tf.requiredString("type");
        if (!type.equals("function")) throw ApiException.badField("tools", "unsupported tool type \"" + type + "\": mica runs function tools only");
        tf.requiredString("name");
        ObjectNode flat = tool.deepCopy();
        flat.remove("type");
        ObjectNode out = json.object();
        out.put("type", "function");
        out.set("function", flat);
        return out;
    }

    /** Null for all tools, "" for none, or the one function's name (nested or flat, as the tools). */
    private static String toolChoice(JsonNode choice) {
        if (choice == null) return null;
        if (choice.isTextual()) {
            return switch (choice.textValue()) {
                case "none" -> "";
                case "auto", "required" -> null;
                default -> throw ApiException.badField("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", ...}");
            };
        }
        if (!(choice instanceof ObjectNode o)) throw ApiException.badField("tool_choice", "tool_choice must be a string or an object");
        Fields cf = new Fields(o, "tool_choice.");
        ObjectNode function = cf.object("function");
        if (function != null) return new Fields(function, "tool_choice.function.").requiredString("name");
        String type = cf.requiredString("type");
        if (!type.equals("function")) throw ApiException.badField("tool_choice", "unsupported tool_choice type \"" + type + "\": mica runs function tools only");
        return cf.requiredString("name");
    }

    /**
     * Chat completions' {@code response_format}, or the Responses API's {@code text.format} (named
     * by {@code field}): the schema sits under {@code json_schema} in the first, flat in the second.
     */
    OutputFormat outputFormat(ObjectNode raw, String field) {
        if (raw == null) return null;
        Fields f = new Fields(raw, field + ".");
        String type = f.requiredString("type");
        return switch (type) {
            case "text" -> null;
            case "json_object" -> new OutputFormat.AnyJson();
            case "json_schema" -> {
                ObjectNode spec = f.object("json_schema");
                ObjectNode schema = (spec == null ? f : new Fields(spec, field + ".json_schema.")).object("schema");
                if (schema == null) throw ApiException.badField(field, field + (spec == null ? ".schema" : ".json_schema.schema") + " is required");
                yield ollama.format(schema, field);
            }
            default -> throw ApiException.badField(field, "invalid " + field + ".type \"" + type + "\"");
        };
    }

    /** {@code reasoning_effort}, or Ollama's {@code reasoning: {effort}}. */
    private static Think reasoning(Fields f) {
        JsonNode effort = f.raw("reasoning_effort");
        String field = "reasoning_effort";
        ObjectNode reasoning = f.object("reasoning");
        if (effort == null && reasoning != null) {
            effort = reasoning.get("effort");
            field = "reasoning.effort";
        }
        if (effort == null || effort.isNull()) return null;
        if (!effort.isTextual()) throw ApiException.badField(field, "invalid " + field + ": expected \"none\", \"low\", \"medium\" or \"high\"");
        return OllamaRequests.think(effort, field);
    }
}
