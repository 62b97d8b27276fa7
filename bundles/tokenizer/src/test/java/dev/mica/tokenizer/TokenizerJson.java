package dev.mica.tokenizer;

import dev.mica.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test helper: writes JSON, and turns a GGUF byte-level BPE vocabulary back into the
 * tokenizer.json it was converted from (the shape Hugging Face ships for Llama 3, Qwen2 and GPT-2).
 */
final class TokenizerJson {
    private TokenizerJson() {}

    static final String LLAMA3_REGEX = Splitter.LLAMA3.pattern();
    static final String QWEN2_REGEX = Splitter.QWEN2.pattern();

    /**
     * tokenizer.json for a GGUF vocabulary: control and user-defined tokens become added tokens
     * (special, or not), the rest the BPE model's vocabulary.
     *
     * @param nfc Qwen2's NFC normalizer (llama.cpp has none, so comparisons with libllama leave it out)
     */
    static Map<String, Object> fromGguf(GgufFile gguf, boolean nfc) {
        String pre = gguf.string("tokenizer.ggml.pre");
        List<Object> tokens = gguf.array("tokenizer.ggml.tokens");
        List<Object> types = gguf.array("tokenizer.ggml.token_type");
        Map<String, Object> vocab = new LinkedHashMap<>();
        List<Object> added = new ArrayList<>();
        for (int id = 0; id < tokens.size(); id++) {
            int type = ((Number) types.get(id)).intValue();
            String text = (String) tokens.get(id);
            if (type == 3 || type == 4) {
                added.add(map("id", id, "content", text, "single_word", false, "lstrip", false, "rstrip", false,
                        "normalized", false, "special", type == 3));
            } else {
                vocab.put(text, id);
            }
        }
        Map<String, Object> model = map("type", "BPE", "dropout", null, "unk_token", null, "continuing_subword_prefix", null,
                "end_of_word_suffix", null, "fuse_unk", false, "byte_fallback", false, "ignore_merges", pre.equals("llama-bpe"),
                "vocab", vocab, "merges", gguf.array("tokenizer.ggml.merges"));
        Map<String, Object> byteLevel = map("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", false);
        Object preTokenizer = switch (pre) {
            case "llama-bpe" -> sequence(LLAMA3_REGEX, byteLevel);
            case "qwen2" -> sequence(QWEN2_REGEX, byteLevel);
            case "gpt-2" -> map("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", true);
            default -> throw new IllegalArgumentException(pre);
        };
        Object postProcessor = pre.equals("llama-bpe")
                ? map("type", "TemplateProcessing",
                        "single", List.of(map("SpecialToken", map("id", "<|begin_of_text|>", "type_id", 0)),
                                map("Sequence", map("id", "A", "type_id", 0))),
                        "pair", List.of(),
                        "special_tokens", map("<|begin_of_text|>", map("id", "<|begin_of_text|>", "ids", List.of(128000),
                                "tokens", List.of("<|begin_of_text|>"))))
                : map("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false);
        return map("version", "1.0", "truncation", null, "padding", null, "added_tokens", added,
                "normalizer", nfc && pre.equals("qwen2") ? map("type", "NFC") : null,
                "pre_tokenizer", preTokenizer, "post_processor", postProcessor,
                "decoder", map("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true, "use_regex", true),
                "model", model);
    }

    private static Map<String, Object> sequence(String regex, Map<String, Object> byteLevel) {
        return map("type", "Sequence", "pretokenizers", List.of(
                map("type", "Split", "pattern", map("Regex", regex), "behavior", "Isolated", "invert", false), byteLevel));
    }

    static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    static Path write(Path dir, String name, Object json) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, toJson(json));
        return file;
    }

    static String toJson(Object value) {
        StringBuilder b = new StringBuilder();
        write(value, b);
        return b.toString();
    }

    private static void write(Object value, StringBuilder b) {
        switch (value) {
            case null -> b.append("null");
            case String s -> {
                b.append('"');
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    switch (c) {
                        case '"' -> b.append("\\\"");
                        case '\\' -> b.append("\\\\");
                        case '\n' -> b.append("\\n");
                        case '\r' -> b.append("\\r");
                        case '\t' -> b.append("\\t");
                        default -> {
                            if (c < 0x20) {
                                b.append(String.format("\\u%04x", (int) c));
                            } else {
                                b.append(c);
                            }
                        }
                    }
                }
                b.append('"');
            }
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (var e : m.entrySet()) {
                    if (!first) {
                        b.append(',');
                    }
                    first = false;
                    write(e.getKey(), b);
                    b.append(':');
                    write(e.getValue(), b);
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        b.append(',');
                    }
                    write(l.get(i), b);
                }
                b.append(']');
            }
            case Number n -> b.append(n);
            case Boolean bool -> b.append(bool);
            default -> throw new IllegalArgumentException(value.getClass().toString());
        }
    }
}
