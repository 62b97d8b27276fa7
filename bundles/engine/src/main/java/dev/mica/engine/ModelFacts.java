package dev.mica.engine;

import dev.mica.api.inference.ModelDetails;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What /api/tags and /api/show say about a model without loading it: read from the GGUF header,
 * which is cheap and safe even for a hostile file (the reader bounds every length); for a model
 * folder, from its config.json and safetensors headers ({@link FolderFacts}).
 */
final class ModelFacts {
    private ModelFacts() {}

    record Facts(ModelDetails.Details details, Map<String, Object> modelInfo, String chatTemplate) {}

    static Facts of(ModelDescriptor d) {
        if ("safetensors".equals(d.format()) && d.model() != null && Files.isDirectory(d.model())) {
            try {
                return FolderFacts.of(d.model());
            } catch (IOException | RuntimeException e) {
                return new Facts(new ModelDetails.Details("", "safetensors", "", List.of(), "", ""),
                        Map.of("error", "unreadable model folder: " + e.getMessage()), null);
            }
        }
        if (!"gguf".equals(d.format())) {
            return new Facts(new ModelDetails.Details("", d.format(), "", List.of(), "", ""), Map.of(), null);
        }
        try {
            GgufFile gguf = GgufFile.read(d.model());
            String arch = gguf.architecture() == null ? "" : gguf.architecture();
            Map<String, Object> info = new LinkedHashMap<>();
            gguf.metadata().forEach((k, v) -> info.put(k, v instanceof List<?> l && l.size() > 64 ? null : v));
            info.put("general.parameter_count", gguf.parameterCount());
            String template = gguf.string("tokenizer.chat_template");
            var details = new ModelDetails.Details("", "gguf", arch, arch.isEmpty() ? List.of() : List.of(arch),
                    humanCount(gguf.parameterCount()), gguf.fileType() != null ? gguf.fileType() : dominantType(gguf));
            return new Facts(details, info, template);
        } catch (IOException | RuntimeException e) {
            return new Facts(new ModelDetails.Details("", "gguf", "", List.of(), "", ""), Map.of("error", "unreadable GGUF header: " + e.getMessage()), null);
        }
    }

    /** Files written without general.file_type (e.g. llama2.c conversions): the type most bytes are in. */
    private static String dominantType(GgufFile gguf) {
        Map<String, Long> bytes = new LinkedHashMap<>();
        gguf.tensors().forEach(t -> bytes.merge(t.type().name(), t.byteSize(), Long::sum));
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("unknown");
    }

    /** Ollama prints parameter sizes such as "8.0B", "494.03M" or "260.01K". */
    static String humanCount(long n) {
        if (n >= 1_000_000_000L) return trim(n / 1e9) + "B";
        if (n >= 1_000_000L) return trim(n / 1e6) + "M";
        if (n >= 1_000L) return trim(n / 1e3) + "K";
        return Long.toString(n);
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.2f", v);
        if (s.endsWith("0")) s = s.substring(0, s.length() - 1);
        return s;
    }

    static List<String> capabilities(String template, Map<String, Object> info) {
        List<String> caps = new ArrayList<>();
        String arch = String.valueOf(info.get("general.architecture"));
        boolean embeddingOnly = info.containsKey(arch + ".pooling_type") && !info.containsKey("tokenizer.chat_template");
        caps.add(embeddingOnly ? "embedding" : "completion");
        if (template != null) {
            if (template.contains("tools")) caps.add("tools");
            if (template.contains("<think>") || template.contains("enable_thinking") || template.contains("reasoning_content")) caps.add("thinking");
            if (template.contains("suffix") || template.contains("<|fim_")) caps.add("insert");
        }
        return caps;
    }
}
