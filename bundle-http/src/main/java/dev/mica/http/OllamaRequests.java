package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.Options;
import dev.mica.api.inference.OutputFormat;
import dev.mica.api.inference.Think;
import dev.mica.api.inference.ToolCall;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Ollama's request bodies to the contract's records, with Ollama's field names and defaults and a
 * 400 for every wrong type or value. The option and think/format readers are shared with the
 * OpenAI routes, which map onto the same records.
 */
final class OllamaRequests {
    private static final System.Logger LOG = System.getLogger("mica.http");
    private static final Set<String> THINK_LEVELS = Set.of("low", "medium", "high");

    private final Json json;

    OllamaRequests(Json json) {
        this.json = json;
    }

    /** A parsed request and whether the client wants it streamed (Ollama's default: yes). */
    record Call<R>(R request, boolean stream) {}

    Call<GenerateRequest> generate(ObjectNode body) {
        Fields f = Fields.of(body);
        GenerateRequest request = new GenerateRequest(
                model(f),
                f.string("prompt"),
                f.string("suffix"),
                f.string("system"),
                f.string("template"),
                f.bool("raw", false),
                f.ints("context"),
                images(f, "images"),
                format(f.raw("format"), "format"),
                options(f.object("options")),
                keepAlive(f),
                think(f.raw("think"), "think"),
                f.bool("logprobs", false),
                topLogprobs(f));
        return new Call<>(request, f.bool("stream", true));
    }

    Call<ChatRequest> chat(ObjectNode body) {
        Fields f = Fields.of(body);
        List<ObjectNode> rawMessages = f.objects("messages");
        List<Message> messages = new ArrayList<>();
        if (rawMessages != null) {
            for (int i = 0; i < rawMessages.size(); i++) {
                messages.add(message(rawMessages.get(i), i));
            }
        }
        ChatRequest request = new ChatRequest(
                model(f),
                messages,
                tools(f),
                format(f.raw("format"), "format"),
                options(f.object("options")),
                keepAlive(f),
                think(f.raw("think"), "think"),
                f.bool("logprobs", false),
                topLogprobs(f),
                f.string("conversation_id"));
        return new Call<>(request, f.bool("stream", true));
    }

    Call<CreateRequest> create(ObjectNode body) {
        Fields f = Fields.of(body);
        if (f.has("modelfile") || f.has("path")) {
            throw ApiException.badField("modelfile", "the modelfile and path fields are not supported: send from, files, template, system, parameters and messages");
        }
        JsonNode adapters = f.raw("adapters");
        if (adapters != null && adapters.size() > 0) {
            throw ApiException.badField("adapters", "adapters are not supported");
        }
        Map<String, String> files = null;
        ObjectNode rawFiles = f.object("files");
        if (rawFiles != null) {
            files = new LinkedHashMap<>();
            for (var e : rawFiles.properties()) {
                if (!e.getValue().isTextual()) {
                    throw ApiException.badField("files", "invalid files: the digest of \"" + e.getKey() + "\" must be a string");
                }
                files.put(e.getKey(), e.getValue().textValue());
            }
        }
        ObjectNode parameters = f.object("parameters");
        List<ModelDescriptor.Message> messages = null;
        List<ObjectNode> rawMessages = f.objects("messages");
        if (rawMessages != null) {
            messages = new ArrayList<>();
            for (ObjectNode m : rawMessages) {
                Fields mf = new Fields(m, "message ");
                messages.add(new ModelDescriptor.Message(mf.requiredString("role"), nullToEmpty(mf.string("content"))));
            }
        }
        CreateRequest request = new CreateRequest(
                model(f),
                f.string("from"),
                files,
                f.string("template"),
                f.string("system"),
                parameters == null ? null : json.toMap(parameters),
                messages,
                f.string("quantize"),
                f.stringOrStrings("license"));
        return new Call<>(request, f.bool("stream", true));
    }

    /** {@code model}, or the older {@code name} that Ollama still accepts. */
    static String model(Fields f) {
        String model = f.string("model");
        if (model == null || model.isBlank()) {
            model = f.string("name");
        }
        if (model == null || model.isBlank()) {
            throw ApiException.badField("model", "model is required");
        }
        return model.trim();
    }

    static Duration keepAlive(Fields f) {
        return KeepAlive.parse(f.raw("keep_alive"), "keep_alive");
    }

    private static int topLogprobs(Fields f) {
        Integer n = f.integer("top_logprobs");
        if (n == null) return 0;
        if (n < 0 || n > 20) throw ApiException.badField("top_logprobs", "top_logprobs must be between 0 and 20");
        return n;
    }

    private Message message(ObjectNode m, int index) {
        Fields f = new Fields(m, "messages[" + index + "].");
        String role = f.requiredString("role");
        List<ToolCall> calls = new ArrayList<>();
        List<ObjectNode> rawCalls = f.objects("tool_calls");
        if (rawCalls != null) {
            for (ObjectNode c : rawCalls) {
                Fields cf = new Fields(c, "tool_call ");
                ObjectNode function = cf.object("function");
                if (function == null) throw ApiException.badField("tool_calls", "tool_calls[].function is required");
                Fields ff = new Fields(function, "tool_call function ");
                calls.add(new ToolCall(cf.string("id"), ff.requiredString("name"), arguments(ff.raw("arguments"))));
            }
        }
        return new Message(role, nullToEmpty(f.string("content")), f.string("thinking"), images(f, "images"), calls,
                f.string("tool_name"), f.string("tool_call_id"));
    }

    /** Tool call arguments: a JSON object, or (as OpenAI habits send them) a string holding one. */
    private Map<String, Object> arguments(JsonNode raw) {
        if (raw == null) return Map.of();
        JsonNode node = raw;
        if (raw.isTextual()) {
            try {
                node = json.parse(raw.textValue());
            } catch (Exception e) {
                throw ApiException.badField("arguments", "tool call arguments are not valid JSON");
            }
        }
        if (!node.isObject()) throw ApiException.badField("arguments", "tool call arguments must be a JSON object");
        return json.toMap(node);
    }

    private List<Map<String, Object>> tools(Fields f) {
        List<ObjectNode> tools = f.objects("tools");
        if (tools == null) return null;
        List<Map<String, Object>> out = new ArrayList<>(tools.size());
        for (ObjectNode tool : tools) {
            out.add(json.toMap(tool));
        }
        return out;
    }

    /** Base64 images; a bad one is the client's mistake, so it is reported here and not by the engine. */
    static List<String> images(Fields f, String field) {
        List<String> images = f.strings(field);
        if (images == null) return null;
        for (int i = 0; i < images.size(); i++) {
            try {
                Base64.getDecoder().decode(images.get(i));
            } catch (IllegalArgumentException e) {
                throw ApiException.badField(field, "invalid " + f.prefix() + field + "[" + i + "]: not base64");
            }
        }
        return images;
    }

    /** {@code "json"}, a JSON schema object, or nothing. */
    OutputFormat format(JsonNode raw, String field) {
        if (raw == null || raw.isNull()) return null;
        if (raw.isTextual()) {
            return switch (raw.textValue()) {
                case "" -> null;
                case "json" -> new OutputFormat.AnyJson();
                default -> throw ApiException.badField(field, "invalid " + field + ": expected \"json\" or a JSON schema object");
            };
        }
        if (raw.isObject()) return new OutputFormat.Schema(json.text(raw));
        throw ApiException.badField(field, "invalid " + field + ": expected \"json\" or a JSON schema object");
    }

    /** {@code true}/{@code false}, or a level: "low", "medium", "high". */
    static Think think(JsonNode raw, String field) {
        if (raw == null || raw.isNull()) return null;
        if (raw.isBoolean()) return raw.booleanValue() ? Think.ON : Think.OFF;
        if (raw.isTextual()) {
            String level = raw.textValue().toLowerCase(Locale.ROOT);
            if (THINK_LEVELS.contains(level)) return new Think(true, level);
            if (level.equals("true")) return Think.ON;
            if (level.equals("false") || level.equals("none")) return Think.OFF;
        }
        throw ApiException.badField(field, "invalid " + field + ": expected true, false, \"low\", \"medium\" or \"high\"");
    }

    /** Ollama's {@code options}. Unknown keys are ignored (Ollama logs and ignores them too). */
    static Options options(ObjectNode raw) {
        if (raw == null) return Options.NONE;
        Fields f = new Fields(raw, "option ");
        Integer numPredict = f.integer("num_predict");
        if (numPredict != null && numPredict < -2) {
            throw ApiException.badField("num_predict", "invalid option num_predict: must be -1 (no limit), -2 (fill the context) or >= 0");
        }
        Options options = new Options(
                atLeast(f, "num_ctx", 1),
                numPredict,
                atLeast(f, "num_keep", -1),
                f.numberAtLeast("temperature", 0),
                atLeast(f, "top_k", 0),
                f.number("top_p", 0, 1),
                f.number("min_p", 0, 1),
                f.number("typical_p", 0, 1),
                atLeast(f, "repeat_last_n", -1),
                f.numberAtLeast("repeat_penalty", 0),
                f.number("presence_penalty"),
                f.number("frequency_penalty"),
                f.longValue("seed"),
                f.stringOrStrings("stop"),
                atLeast(f, "num_batch", 1),
                atLeast(f, "num_thread", 0),
                atLeast(f, "num_gpu", -1),
                f.bool("use_mmap"));
        for (String key : (Iterable<String>) raw::fieldNames) {
            if (!KNOWN_OPTIONS.contains(key)) {
                LOG.log(System.Logger.Level.DEBUG, "ignoring unknown option {0}", key);
            }
        }
        return options;
    }

    private static final Set<String> KNOWN_OPTIONS = Set.of("num_ctx", "num_predict", "num_keep", "temperature", "top_k",
            "top_p", "min_p", "typical_p", "repeat_last_n", "repeat_penalty", "presence_penalty", "frequency_penalty",
            "seed", "stop", "num_batch", "num_thread", "num_gpu", "use_mmap");

    private static Integer atLeast(Fields f, String name, int min) {
        Integer v = f.integer(name);
        if (v != null && v < min) {
            throw ApiException.badField(name, "invalid option " + name + ": must be >= " + min + ", got " + v);
        }
        return v;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
