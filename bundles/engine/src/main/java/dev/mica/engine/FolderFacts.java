package dev.mica.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.api.inference.ModelDetails;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What /api/show says about a model folder (Hugging Face config.json, *.safetensors) without
 * loading it: architecture and context from config.json, the quantization from its MLX
 * {@code quantization} block (else the weights' dtype), the parameter count from the safetensors
 * headers, counting packed weights as the values they stand for rather than their uint32 words.
 */
final class FolderFacts {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20, MAX_JSON = 64L << 20;

    private FolderFacts() {}

    static ModelFacts.Facts of(Path dir) throws IOException {
        JsonNode config = json(dir.resolve("config.json"));
        String arch = config.path("model_type").asText("");
        if (arch.isEmpty() && config.path("architectures").isArray() && !config.path("architectures").isEmpty()) {
            arch = config.path("architectures").get(0).asText("");
        }
        JsonNode quant = config.has("quantization") ? config.get("quantization") : config.path("quantization_config");
        Map<String, Long> dtypes = new LinkedHashMap<>();
        long params = parameters(dir, quant, dtypes);
        String level;
        if (quant.path("bits").isInt()) {
            String mode = quant.path("mode").asText("affine");
            level = mode.equals("affine") ? "int" + quant.path("bits").asInt() : mode;
        } else {
            level = dtypes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("unknown");
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("general.architecture", arch);
        info.put("general.parameter_count", params);
        if (!config.path("architectures").isMissingNode()) info.put("general.architectures", JSON.convertValue(config.get("architectures"), List.class));
        if (config.path("max_position_embeddings").isNumber()) info.put(arch + ".context_length", config.get("max_position_embeddings").longValue());
        if (config.path("hidden_size").isNumber()) info.put(arch + ".embedding_length", config.get("hidden_size").longValue());
        if (config.path("num_hidden_layers").isNumber()) info.put(arch + ".block_count", config.get("num_hidden_layers").longValue());
        if (quant.isObject()) info.put("general.quantization", JSON.convertValue(quant, Map.class));
        var details = new ModelDetails.Details("", "safetensors", arch, arch.isEmpty() ? List.of() : List.of(arch), ModelFacts.humanCount(params), level);
        return new ModelFacts.Facts(details, info, template(dir));
    }

    /** Values, not bytes: a packed weight counts the columns its scales cover (groups × group size). */
    private static long parameters(Path dir, JsonNode quant, Map<String, Long> dtypes) throws IOException {
        Map<String, JsonNode> tensors = new HashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path f : ds) {
                JsonNode h = header(f);
                for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
                    var e = it.next();
                    if (!e.getKey().equals("__metadata__")) tensors.put(e.getKey(), e.getValue());
                }
            }
        }
        long total = 0;
        for (var e : tensors.entrySet()) {
            String name = e.getKey();
            String base = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
            JsonNode scales = tensors.get(base + ".scales");
            boolean packed = name.endsWith(".weight") && scales != null && "U32".equals(e.getValue().path("dtype").asText());
            if ((name.endsWith(".scales") || name.endsWith(".biases")) && tensors.containsKey(base + ".weight")
                    && "U32".equals(tensors.get(base + ".weight").path("dtype").asText())) {
                continue;
            }
            JsonNode shape = e.getValue().path("shape");
            long n = 1;
            for (int i = 0; i < shape.size() - (packed ? 1 : 0); i++) n *= shape.get(i).asLong();
            if (packed) {
                JsonNode layer = quant.path(base);
                int group = (layer.isObject() ? layer : quant).path("group_size").asInt(64);
                JsonNode s = scales.path("shape");
                n *= s.get(s.size() - 1).asLong() * group;
            } else {
                dtypes.merge(e.getValue().path("dtype").asText("?").toUpperCase(Locale.ROOT), n, Long::sum);
            }
            total += n;
        }
        return total;
    }

    private static JsonNode header(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(len, 0) != 8) throw new IOException(f.getFileName() + " is too short");
            long n = len.getLong(0);
            if (n < 2 || n > MAX_HEADER || 8 + n > ch.size()) throw new IOException(f.getFileName() + " has a bad safetensors header");
            ByteBuffer h = ByteBuffer.allocate((int) n);
            while (h.hasRemaining()) {
                if (ch.read(h, 8 + h.position()) < 0) throw new IOException(f.getFileName() + " is truncated");
            }
            JsonNode node = JSON.readTree(new String(h.array(), StandardCharsets.UTF_8));
            if (node == null || !node.isObject()) throw new IOException(f.getFileName() + " has a bad safetensors header");
            return node;
        }
    }

    private static JsonNode json(Path f) throws IOException {
        if (Files.size(f) > MAX_JSON) throw new IOException(f.getFileName() + " is too large");
        JsonNode n = JSON.readTree(f.toFile());
        if (n == null || !n.isObject()) throw new IOException(f.getFileName() + " is not a JSON object");
        return n;
    }

    /** tokenizer_config.json's chat_template (a string, or the one named "default"), else chat_template.jinja. */
    private static String template(Path dir) throws IOException {
        Path tc = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tc)) {
            JsonNode t = json(tc).path("chat_template");
            if (t.isTextual()) return t.textValue();
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) return named.get("template").textValue();
            }
        }
        Path jinja = dir.resolve("chat_template.jinja");
        return Files.isRegularFile(jinja) && Files.size(jinja) <= MAX_JSON ? Files.readString(jinja, StandardCharsets.UTF_8) : null;
    }
}
