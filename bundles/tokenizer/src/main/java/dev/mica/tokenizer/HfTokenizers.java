package dev.mica.tokenizer;

import dev.mica.api.backend.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tokenizers for Hugging Face {@code tokenizer.json} files, as MLX-format models ship them, with
 * the semantics of the tokenizers library: byte-level BPE (Llama 3, Qwen2/2.5/3, GPT-2) and
 * SentencePiece-style BPE with byte fallback (Llama 2, Mistral).
 *
 * <p>Supported parts: the BPE model (merges as "a b" or ["a", "b"], unk_token, fuse_unk,
 * byte_fallback, ignore_merges, continuing_subword_prefix, end_of_word_suffix; dropout is not
 * applied); normalizers NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence;
 * pre-tokenizers Split (regular expression or string, every behavior), ByteLevel, Metaspace, Digits,
 * Sequence; post-processors TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing,
 * Sequence; decoders ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence. The
 * expressions of Llama 3, Qwen2, Qwen3.5 and GPT-2 run on the same hand-written matchers as the
 * GGUF tokenizers (so both cut text identically); other expressions run on java.util.regex.
 * WordPiece, Unigram and WordLevel models are refused with an {@link UnsupportedOperationException}.
 */
public final class HfTokenizers {
    private HfTokenizers() {}

    /**
     * Added-token texts that end generation. The same list llama.cpp keeps, so a model ends its
     * answer on the same tokens whichever backend runs it.
     */
    private static final Set<String> END_OF_GENERATION_TEXTS = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");

    /**
     * The tokenizer of a Hugging Face model folder's files.
     *
     * @param tokenizerJson       tokenizer.json
     * @param tokenizerConfigJson tokenizer_config.json, or null: it names the EOS token (which ends
     *                            generation), BOS/EOS adding where the post-processor does not say,
     *                            and clean_up_tokenization_spaces for decode
     * @throws UnsupportedOperationException the file uses a model or component this library lacks
     * @throws IllegalArgumentException      the file is not a valid tokenizer.json
     */
    public static Tokenizer fromJson(Path tokenizerJson, Path tokenizerConfigJson) throws IOException {
        JsonObject root = JsonObject.of(Json.parse(Files.readString(tokenizerJson)), "tokenizer.json");
        JsonObject config = tokenizerConfigJson == null || !Files.exists(tokenizerConfigJson)
                ? new JsonObject(Map.of(), "tokenizer_config.json")
                : JsonObject.of(Json.parse(Files.readString(tokenizerConfigJson)), "tokenizer_config.json");
        return build(root, config);
    }

    static HfTokenizer build(JsonObject root, JsonObject config) {
        List<HfTokenizer.AddedToken> added = addedTokens(root);
        HfTokenizer.BpeModel model = model(root.object("model"));
        HfPipeline.Normalizer normalizer = HfPipeline.normalizer(root.object("normalizer"));
        HfPipeline.PreTokenizer preTokenizer = HfPipeline.preTokenizer(root.object("pre_tokenizer"));
        HfDecoder decoder = HfDecoder.of(root.object("decoder"));

        Map<String, Integer> ids = new HashMap<>(model.vocab());
        for (HfTokenizer.AddedToken t : added) {
            ids.put(t.content(), t.id());
        }
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        JsonObject post = root.object("post_processor");
        if (!postProcessor(post, prefix, suffix, ids)) {
            // no template says which special tokens to add: the config's add_bos_token / add_eos_token
            Integer bos = tokenId(config, "bos_token", ids);
            Integer eos = tokenId(config, "eos_token", ids);
            if (config.bool("add_bos_token", false) && bos != null) {
                prefix.add(bos);
            }
            if (config.bool("add_eos_token", false) && eos != null) {
                suffix.add(eos);
            }
        }

        BitSet eog = new BitSet();
        Integer eos = tokenId(config, "eos_token", ids);
        if (eos != null) {
            eog.set(eos);
        }
        for (HfTokenizer.AddedToken t : added) {
            if (END_OF_GENERATION_TEXTS.contains(t.content())) {
                eog.set(t.id());
            }
        }
        boolean cleanUp = config.bool("clean_up_tokenization_spaces", false);
        return new HfTokenizer(model, added, normalizer, preTokenizer, decoder,
                prefix.stream().mapToInt(Integer::intValue).toArray(), suffix.stream().mapToInt(Integer::intValue).toArray(),
                eog, cleanUp);
    }

    private static List<HfTokenizer.AddedToken> addedTokens(JsonObject root) {
        List<HfTokenizer.AddedToken> added = new ArrayList<>();
        for (Object o : root.list("added_tokens")) {
            JsonObject t = JsonObject.of(o, "tokenizer.json.added_tokens");
            long id = t.integer("id", -1);
            if (id < 0 || id > Integer.MAX_VALUE - 1) {
                throw new IllegalArgumentException("added token without a valid id: " + t.map());
            }
            added.add(new HfTokenizer.AddedToken((int) id, t.requireString("content"), t.bool("single_word", false),
                    t.bool("lstrip", false), t.bool("rstrip", false), t.bool("normalized", true), t.bool("special", false)));
        }
        return added;
    }

    private static HfTokenizer.BpeModel model(JsonObject spec) {
        if (spec == null) {
            throw new IllegalArgumentException("tokenizer.json has no model");
        }
        String type = spec.string("type");
        if (type == null && spec.has("merges")) {
            type = "BPE"; // files from before the type tag
        }
        if (!"BPE".equals(type)) {
            throw new UnsupportedOperationException("tokenizer.json model '" + type + "' is not supported (BPE is)");
        }
        Map<String, Integer> vocab = new HashMap<>();
        JsonObject vocabSpec = spec.object("vocab");
        if (vocabSpec == null) {
            throw new IllegalArgumentException("tokenizer.json model has no vocab");
        }
        for (var e : vocabSpec.map().entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > Integer.MAX_VALUE - 1) {
                throw new IllegalArgumentException("tokenizer.json vocab entry '" + e.getKey() + "' has no valid id");
            }
            vocab.put(e.getKey(), (int) (long) id);
        }
        List<String[]> merges = new ArrayList<>();
        for (Object o : spec.list("merges")) {
            String[] pair;
            if (o instanceof String s) {
                pair = s.split(" ", -1);
            } else if (o instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String a && l.get(1) instanceof String b) {
                pair = new String[] {a, b};
            } else {
                throw new IllegalArgumentException("tokenizer.json merge " + o + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
            if (pair.length != 2) {
                throw new IllegalArgumentException("tokenizer.json merge \"" + o + "\" is not two tokens");
            }
            for (String part : new String[] {pair[0], pair[1], pair[0] + pair[1]}) {
                if (!vocab.containsKey(part)) {
                    throw new IllegalArgumentException("tokenizer.json merge " + String.join(" ", pair) + ": '" + part
                            + "' is not in the vocabulary");
                }
            }
            merges.add(pair);
        }
        int unk = -1;
        String unkToken = spec.string("unk_token");
        if (unkToken != null) {
            Integer id = vocab.get(unkToken);
            if (id == null) {
                throw new IllegalArgumentException("tokenizer.json unk_token '" + unkToken + "' is not in the vocabulary");
            }
            unk = id;
        }
        return new HfTokenizer.BpeModel(vocab, new BpeMerges(vocab, merges), unk, spec.bool("fuse_unk", false),
                spec.bool("byte_fallback", false), spec.bool("ignore_merges", false),
                spec.string("continuing_subword_prefix"), spec.string("end_of_word_suffix"));
    }

    /**
     * The special tokens a post-processor puts around a single sequence.
     *
     * @return whether a processor said which tokens to add (false for none, or ByteLevel alone)
     */
    private static boolean postProcessor(JsonObject spec, List<Integer> prefix, List<Integer> suffix, Map<String, Integer> ids) {
        if (spec == null) {
            return false;
        }
        switch (spec.type()) {
            case "Sequence" -> {
                boolean any = false;
                for (Object o : spec.list("processors")) {
                    any |= postProcessor(JsonObject.of(o, spec.where() + ".processors"), prefix, suffix, ids);
                }
                return any;
            }
            case "ByteLevel" -> {
                return false;
            }
            case "TemplateProcessing" -> {
                JsonObject specials = spec.object("special_tokens");
                boolean sequenceSeen = false;
                for (Object o : spec.list("single")) {
                    JsonObject item = JsonObject.of(o, spec.where() + ".single");
                    if (item.has("Sequence")) {
                        sequenceSeen = true;
                    } else if (item.has("SpecialToken")) {
                        String name = item.object("SpecialToken").requireString("id");
                        JsonObject special = specials == null ? null : specials.object(name);
                        List<Integer> target = sequenceSeen ? suffix : prefix;
                        if (special != null) {
                            for (Object id : special.list("ids")) {
                                target.add((int) (long) (Long) id);
                            }
                        } else if (ids.containsKey(name)) {
                            target.add(ids.get(name));
                        } else {
                            throw new IllegalArgumentException("TemplateProcessing names an unknown special token '" + name + "'");
                        }
                    }
                }
                return true;
            }
            case "RobertaProcessing", "BertProcessing" -> {
                prefix.add(pairId(spec, "cls"));
                suffix.add(pairId(spec, "sep"));
                return true;
            }
            default -> throw new UnsupportedOperationException("tokenizer.json post-processor '" + spec.type()
                    + "' is not supported (TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence are)");
        }
    }

    /** The id of a ["text", id] pair. */
    private static int pairId(JsonObject spec, String key) {
        List<Object> pair = spec.list(key);
        if (pair.size() != 2 || !(pair.get(1) instanceof Long id)) {
            throw new IllegalArgumentException(spec.where() + "." + key + ": expected [\"token\", id]");
        }
        return (int) (long) id;
    }

    /** The id of a token tokenizer_config.json names (a string, or an object with "content"). */
    private static Integer tokenId(JsonObject config, String key, Map<String, Integer> ids) {
        Object v = config.get(key);
        String text = v instanceof String s ? s : v instanceof Map<?, ?> m && m.get("content") instanceof String s ? s : null;
        return text == null ? null : ids.get(text);
    }
}
