package dev.mica.engine.output;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.ToolCall;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the text of one tool call, as a model family writes it, into a {@link ToolCall} with its
 * arguments as a JSON object (key order kept). Text that is not a well-formed call yields nothing,
 * and the caller keeps it as answer text, so a model's near miss is seen rather than lost.
 */
public final class ToolCallDecoder {
    /** Strict about trailing text: "12 apples" is not the number 12. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    /** For one value of a sequence, where more text after it is expected. */
    private static final ObjectMapper SEQUENCE = new ObjectMapper();
    private static final Pattern FUNCTION = Pattern.compile("<function=([^>\\n]+)>(.*?)(?:</function>|$)", Pattern.DOTALL);
    private static final Pattern PARAMETER = Pattern.compile("<parameter=([^>\\n]+)>(.*?)(?:</parameter>|(?=<parameter=)|$)", Pattern.DOTALL);

    /** The offered tools' parameter schemas by tool name, to type XML parameter values. */
    private final Map<String, Map<String, Object>> parameterSchemas;

    /** @param tools the request's tools ({"type":"function","function":{"name","parameters"}}) */
    public ToolCallDecoder(List<Map<String, Object>> tools) {
        Map<String, Map<String, Object>> schemas = new LinkedHashMap<>();
        for (Map<String, Object> tool : tools) {
            if (tool.get("function") instanceof Map<?, ?> f && f.get("name") instanceof String name) {
                schemas.put(name, f.get("parameters") instanceof Map<?, ?> p ? cast(p) : Map.of());
            }
        }
        this.parameterSchemas = schemas;
    }

    /** {@code {"name": ..., "arguments": {...}}} (or "parameters"; arguments may be a JSON string). */
    public Optional<ToolCall> json(String body) {
        try {
            JsonNode node = JSON.readTree(body.strip());
            return node instanceof ObjectNode o ? fromObject(o) : Optional.empty();
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /**
     * Llama 3's answer-is-the-call form: one or more JSON objects, separated by whitespace or
     * {@code ;}, optionally after {@code <|python_tag|>}. Empty unless every object is a call.
     */
    public List<ToolCall> jsonSequence(String text) {
        String s = text.strip();
        if (s.startsWith("<|python_tag|>")) s = s.substring("<|python_tag|>".length()).strip();
        List<ToolCall> calls = new ArrayList<>();
        int at = 0;
        while (true) {
            while (at < s.length() && (Character.isWhitespace(s.charAt(at)) || s.charAt(at) == ';')) at++;
            if (at == s.length()) break;
            if (s.charAt(at) != '{') return List.of();
            try (JsonParser p = SEQUENCE.getFactory().createParser(s.substring(at))) {
                if (p.nextToken() != JsonToken.START_OBJECT) return List.of();
                JsonNode node = SEQUENCE.readTree(p);
                Optional<ToolCall> call = node instanceof ObjectNode o ? fromObject(o) : Optional.empty();
                if (call.isEmpty()) return List.of();
                calls.add(call.get());
                at += (int) p.currentLocation().getCharOffset();
            } catch (IOException e) {
                return List.of();
            }
        }
        return calls;
    }

    /** {@code <function=NAME><parameter=P>value</parameter>...</function>}, values typed by the tool's schema. */
    public Optional<ToolCall> xml(String body) {
        Matcher f = FUNCTION.matcher(body);
        if (!f.find()) return Optional.empty();
        String name = f.group(1).strip();
        if (name.isEmpty()) return Optional.empty();
        Map<String, Object> properties = properties(name);
        Map<String, Object> arguments = new LinkedHashMap<>();
        Matcher p = PARAMETER.matcher(f.group(2));
        while (p.find()) {
            String key = p.group(1).strip();
            arguments.put(key, typed(trimNewline(p.group(2)), properties.get(key)));
        }
        return Optional.of(new ToolCall(null, name, arguments));
    }

    private Optional<ToolCall> fromObject(ObjectNode o) {
        JsonNode name = o.get("name");
        if (name == null || !name.isTextual() || name.textValue().isBlank()) return Optional.empty();
        JsonNode args = o.has("arguments") ? o.get("arguments") : o.get("parameters");
        if (args == null || args.isNull()) return Optional.of(new ToolCall(null, name.textValue(), Map.of()));
        if (args.isTextual()) {
            try {
                args = JSON.readTree(args.textValue());
            } catch (JsonProcessingException e) {
                return Optional.empty();
            }
        }
        if (!args.isObject()) return Optional.empty();
        return Optional.of(new ToolCall(null, name.textValue(), toMap(args)));
    }

    private Map<String, Object> properties(String tool) {
        Map<String, Object> schema = parameterSchemas.getOrDefault(tool, Map.of());
        return schema.get("properties") instanceof Map<?, ?> p ? cast(p) : Map.of();
    }

    /**
     * A parameter value as the schema says: strings stay text; other types (and unknown
     * parameters) are read as JSON when they parse, as llama.cpp's parser does, else kept as text.
     */
    static Object typed(String value, Object schema) {
        String type = schema instanceof Map<?, ?> m && m.get("type") instanceof String t ? t : null;
        if ("string".equals(type)) return value;
        try {
            JsonNode node = JSON.readTree(value.strip());
            if (node == null || node.isMissingNode()) return value;
            return JSON.convertValue(node, Object.class);
        } catch (JsonProcessingException e) {
            return value;
        }
    }

    /** Parameter values sit on lines of their own: one newline after the tag and one before the close go. */
    private static String trimNewline(String v) {
        String s = v.startsWith("\n") ? v.substring(1) : v;
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toMap(JsonNode node) {
        return JSON.convertValue(node, LinkedHashMap.class);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }
}
