package dev.mica.tokenizer;

import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufValueType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF vocabulary as llama.cpp's llama_vocab::impl::load reads it (llama-vocab.cpp at de3ff81):
 * token texts, scores and attributes, the special tokens and their defaults, the end-of-generation
 * set (found partly by token text, as llama.cpp does), the special tokens that split text before
 * tokenizing, and each token's piece. Immutable once built.
 *
 * <p>Where llama.cpp's result depends on std::unordered_map iteration order or an unstable sort
 * (which of several EOT/FIM look-alike texts wins; the order of equally long special tokens), this
 * takes the lowest token id, so the result is at least deterministic.
 */
final class Vocabulary {

    enum Type { SPM, BPE, TEST }

    // llama_token_attr
    static final int ATTR_UNDEFINED = 0;
    static final int ATTR_UNKNOWN = 1 << 0;
    static final int ATTR_UNUSED = 1 << 1;
    static final int ATTR_NORMAL = 1 << 2;
    static final int ATTR_CONTROL = 1 << 3;
    static final int ATTR_USER_DEFINED = 1 << 4;
    static final int ATTR_BYTE = 1 << 5;
    static final int ATTR_LSTRIP = 1 << 7;
    static final int ATTR_RSTRIP = 1 << 8;

    static final int NULL = -1;

    private static final String ESCAPED_SPACE = ByteStrings.utf8("\u2581");

    /** Token texts whose token ends generation (llama.cpp's list, in byte-string form). */
    private static final Set<String> EOG_TEXTS = byteStrings(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");
    private static final Set<String> EOT_TEXTS = byteStrings(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
            "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    private static final Set<String> EOM_TEXTS = byteStrings("<|eom_id|>");
    private static final Set<String> FIM_PRE_TEXTS = byteStrings("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
            "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>");
    private static final Set<String> FIM_SUF_TEXTS = byteStrings("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
            "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>");
    private static final Set<String> FIM_MID_TEXTS = byteStrings("<|fim_middle|>", "<fim-middle>", "<fim_middle>",
            "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>");
    private static final Set<String> FIM_PAD_TEXTS = byteStrings("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
    private static final Set<String> FIM_REP_TEXTS = byteStrings("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
    private static final Set<String> FIM_SEP_TEXTS = byteStrings("<|file_sep|>");
    /** gpt-oss markers llama.cpp always renders as user-defined tokens. */
    private static final Set<String> ALWAYS_USER_DEFINED = byteStrings("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>");

    final Type type;
    /** Token texts as byte strings. */
    final String[] texts;
    final float[] scores;
    final int[] attrs;
    final Map<String, Integer> ids;

    // BPE only
    final BpeMerges merges;
    final Splitter splitter;
    final boolean ignoreMerges;

    final boolean addSpacePrefix;
    final boolean escapeWhitespaces;
    final boolean cleanSpaces;
    final boolean addBos;
    final boolean addEos;

    final int bos;
    final int eos;

    final BitSet endOfGeneration;
    /** Control, user-defined and unknown tokens, longest text first: what splits text before tokenizing. */
    final int[] specialTokens;
    /** llama_token_to_piece(special = true) of every token. */
    final byte[][] pieces;
    /** SentencePiece's token for each byte, or -1. */
    private final int[] byteTokens;

    private Vocabulary(Loader l) {
        type = l.type;
        texts = l.texts;
        scores = l.scores;
        attrs = l.attrs;
        ids = l.ids;
        merges = l.merges;
        splitter = l.splitter;
        ignoreMerges = l.ignoreMerges;
        addSpacePrefix = l.addSpacePrefix;
        escapeWhitespaces = l.escapeWhitespaces;
        cleanSpaces = l.cleanSpaces;
        addBos = l.addBos;
        addEos = l.addEos;
        bos = l.bos;
        eos = l.eos;
        endOfGeneration = l.eog;
        specialTokens = l.specialTokens;
        pieces = l.pieces;
        byteTokens = byteTokens();
    }

    static Vocabulary fromGguf(GgufFile gguf) {
        return new Vocabulary(new Loader(gguf).load());
    }

    int size() {
        return texts.length;
    }

    /** text_to_token over {@code bytes[offset, offset + length)}, or -1. */
    int token(byte[] bytes, int offset, int length) {
        Integer id = ids.get(ByteStrings.of(bytes, offset, length));
        return id == null ? NULL : id;
    }

    int token(String byteString) {
        Integer id = ids.get(byteString);
        return id == null ? NULL : id;
    }

    float score(int token) {
        return scores[token];
    }

    /** SentencePiece's byte_to_token: the {@code <0xXX>} token, else the byte as a one-byte text. */
    int byteToken(byte b) {
        int id = byteTokens[b & 0xFF];
        if (id == NULL) {
            // libllama would throw std::out_of_range from inside tokenize here
            throw new IllegalStateException("the vocabulary has no token for byte 0x" + String.format("%02X", b & 0xFF));
        }
        return id;
    }

    private int[] byteTokens() {
        int[] tokens = new int[256];
        for (int b = 0; b < 256; b++) {
            tokens[b] = token(String.format("<0x%02X>", b));
            if (tokens[b] == NULL) {
                tokens[b] = token(String.valueOf((char) b));
            }
        }
        return tokens;
    }

    private static Set<String> byteStrings(String... texts) {
        Set<String> set = new java.util.HashSet<>();
        for (String t : texts) {
            set.add(ByteStrings.utf8(t));
        }
        return Set.copyOf(set);
    }

    /** The port of llama_vocab::impl::load, step by step. */
    private static final class Loader {
        private final GgufFile gguf;
        Type type;
        String model;
        String pre;
        String[] texts;
        float[] scores;
        int[] attrs;
        Map<String, Integer> ids;
        BpeMerges merges;
        Splitter splitter;
        boolean ignoreMerges;
        boolean addSpacePrefix;
        boolean escapeWhitespaces = true;
        boolean cleanSpaces;
        boolean addBos;
        boolean addEos;
        // the ids that decide something here; llama.cpp's unk/sep/pad/mask/cls change nothing for these vocabularies
        int bos = 1, eos = 2, eot = NULL, eom = NULL;
        int fimPre = NULL, fimSuf = NULL, fimMid = NULL, fimPad = NULL, fimRep = NULL, fimSep = NULL;
        BitSet eog;
        int[] specialTokens;
        byte[][] pieces;

        Loader(GgufFile gguf) {
            this.gguf = gguf;
        }

        Loader load() {
            model = gguf.string("tokenizer.ggml.model");
            if (model == null) {
                throw new IllegalArgumentException("the GGUF has no tokenizer.ggml.model: no vocabulary to tokenize with");
            }
            pre = gguf.string("tokenizer.ggml.pre");
            List<String[]> mergeList = chooseModel();
            readTokens();
            if (type == Type.BPE) {
                merges = new BpeMerges(ids, mergeList);
            }
            readSpecialTokens();
            findSpecialTokensByText();
            markUnused();
            collectEndOfGeneration();
            collectSpecialTokens();
            buildPieces();
            setModelSpecificAttributes();
            return this;
        }

        /** The tokenizer model and its defaults; the merges of a BPE vocabulary. */
        private List<String[]> chooseModel() {
            List<String[]> mergeList = List.of();
            switch (model) {
                case "llama" -> {
                    type = Type.SPM;
                    bos = 1;
                    eos = 2;
                }
                case "gpt2" -> {
                    type = Type.BPE;
                    mergeList = readMerges();
                    bos = 11;
                    eos = 11;
                }
                case "test" -> {
                    type = Type.TEST;
                    bos = NULL;
                    eos = NULL;
                }
                case "no_vocab", "none" -> throw new IllegalArgumentException("the model has no vocabulary");
                case "bert", "t5", "rwkv", "plamo2", "gemma4", "hybriddna", "whitespace" -> throw new UnsupportedOperationException(
                        "tokenizer model '" + model + "' is not supported by the Java tokenizer (SentencePiece 'llama', BPE 'gpt2' and 'test' are)");
                default -> throw new IllegalArgumentException("unknown tokenizer: '" + model + "'");
            }
            switch (type) {
                case BPE -> {
                    addSpacePrefix = false;
                    escapeWhitespaces = false;
                    cleanSpaces = true;
                    choosePreTokenizer();
                }
                case SPM -> {
                    addSpacePrefix = true;
                    cleanSpaces = false;
                    addBos = true;
                    addEos = false;
                }
                case TEST -> { }
            }
            Boolean prefix = gguf.bool("tokenizer.ggml.add_space_prefix");
            if (prefix != null) {
                addSpacePrefix = prefix;
            }
            return mergeList;
        }

        /**
         * The pre-tokenizers whose expression is one of the hand-written splitters; the flags are
         * llama.cpp's for each name (which also sets clean_spaces, used only when detokenizing).
         */
        private void choosePreTokenizer() {
            if (pre == null || pre.isEmpty() || pre.equals("default")) {
                throw new UnsupportedOperationException("BPE vocabulary without a known pre-tokenizer (tokenizer.ggml.pre = '"
                        + (pre == null ? "" : pre) + "'): llama.cpp's default expressions are not supported by the Java tokenizer");
            }
            switch (pre) {
                case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano" -> {
                    splitter = Splitter.LLAMA3;
                    ignoreMerges = true;
                    addBos = true;
                }
                case "dbrx", "smaug-bpe" -> splitter = Splitter.LLAMA3;
                case "glm4", "chatglm-bpe" -> {
                    splitter = Splitter.LLAMA3;
                    bos = NULL;
                }
                case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2" -> {
                    splitter = Splitter.QWEN2;
                    cleanSpaces = false;
                }
                case "megrez", "stablelm2" -> splitter = Splitter.QWEN2;
                case "hunyuan", "solar-open", "grok-2" -> {
                    splitter = Splitter.QWEN2;
                    cleanSpaces = false;
                }
                case "qwen35" -> {
                    splitter = Splitter.QWEN35;
                    cleanSpaces = false;
                }
                case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
                     "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4", "mpt", "olmo", "jais" ->
                        splitter = Splitter.GPT2;
                case "trillion", "granite-docling" -> {
                    splitter = Splitter.GPT2;
                    cleanSpaces = false;
                }
                default -> throw new UnsupportedOperationException("pre-tokenizer '" + pre
                        + "' is not supported by the Java tokenizer (supported: llama-bpe and other Llama 3 style, qwen2, qwen35, gpt-2 style)");
            }
        }

        private List<String[]> readMerges() {
            List<Object> list = gguf.array("tokenizer.ggml.merges");
            if (list == null) {
                throw new IllegalArgumentException("cannot find tokenizer merges in model file");
            }
            if (gguf.arrayType("tokenizer.ggml.merges") != GgufValueType.STRING) {
                throw new IllegalArgumentException("invalid gguf type for tokenizer.ggml.merges");
            }
            List<String[]> result = new ArrayList<>(list.size());
            for (Object o : list) {
                String word = ByteStrings.utf8((String) o);
                // llama.cpp splits at the first space after the first byte; no space: an empty pair
                int space = word.indexOf(' ', 1);
                result.add(space < 0 ? new String[] {"", ""} : new String[] {word.substring(0, space), word.substring(space + 1)});
            }
            return result;
        }

        private void readTokens() {
            List<Object> tokens = gguf.array("tokenizer.ggml.tokens");
            if (tokens == null) {
                throw new IllegalArgumentException("cannot find tokenizer vocab in model file");
            }
            if (gguf.arrayType("tokenizer.ggml.tokens") != GgufValueType.STRING) {
                throw new IllegalArgumentException("invalid gguf type for tokenizer.ggml.tokens");
            }
            int n = tokens.size();
            List<Object> scoreList = gguf.array("tokenizer.ggml.scores");
            if (scoreList != null) {
                GgufValueType t = gguf.arrayType("tokenizer.ggml.scores");
                if (t != GgufValueType.FLOAT32 && t != GgufValueType.INT32) {
                    throw new IllegalArgumentException("invalid gguf type for tokenizer.ggml.scores");
                }
                if (scoreList.size() < n) {
                    throw new IllegalArgumentException("Index out of array bounds for scores (" + scoreList.size() + " < " + n + ")");
                }
            }
            List<Object> typeList = gguf.array("tokenizer.ggml.token_type");
            if (typeList != null) {
                if (gguf.arrayType("tokenizer.ggml.token_type") != GgufValueType.INT32) {
                    throw new IllegalArgumentException("invalid gguf type for tokenizer.ggml.token_type");
                }
                if (typeList.size() < n) {
                    throw new IllegalArgumentException("Index out of array bounds for toktypes (" + typeList.size() + " < " + n + ")");
                }
            }
            texts = new String[n];
            scores = new float[n];
            attrs = new int[n];
            ids = new HashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                String word = ByteStrings.utf8((String) tokens.get(i));
                if (word.isEmpty()) {
                    word = "[EMPTY_" + i + "]";
                }
                if (ids.put(word, i) != null) {
                    // libllama asserts (id_to_token.size() == token_to_id.size()) and will not load
                    throw new IllegalArgumentException("token " + i + " repeats the text of an earlier token: "
                            + ByteStrings.decodeUtf8(word));
                }
                texts[i] = word;
                scores[i] = scoreList == null ? 0.0f : ((Number) scoreList.get(i)).floatValue();
                attrs[i] = typeList == null ? ATTR_NORMAL : attributeOfType(((Number) typeList.get(i)).intValue());
            }
        }

        /** llama_token_type to llama_token_attr. */
        private static int attributeOfType(int tokenType) {
            return switch (tokenType) {
                case 1 -> ATTR_NORMAL;
                case 2 -> ATTR_UNKNOWN;
                case 3 -> ATTR_CONTROL;
                case 4 -> ATTR_USER_DEFINED;
                case 5 -> ATTR_UNUSED;
                case 6 -> ATTR_BYTE;
                default -> ATTR_UNDEFINED;
            };
        }

        /** The special token ids: defaults out of range are dropped, keys out of range ignored. */
        private void readSpecialTokens() {
            int n = texts.length;
            bos = special("tokenizer.ggml.bos_token_id", bos, n);
            eos = special("tokenizer.ggml.eos_token_id", eos, n);
            eot = special("tokenizer.ggml.eot_token_id", eot, n);
            eom = special("tokenizer.ggml.eom_token_id", eom, n);
            fimPre = special("tokenizer.ggml.fim_pre_token_id", fimPre, n);
            fimSuf = special("tokenizer.ggml.fim_suf_token_id", fimSuf, n);
            fimMid = special("tokenizer.ggml.fim_mid_token_id", fimMid, n);
            fimPad = special("tokenizer.ggml.fim_pad_token_id", fimPad, n);
            fimRep = special("tokenizer.ggml.fim_rep_token_id", fimRep, n);
            fimSep = special("tokenizer.ggml.fim_sep_token_id", fimSep, n);
            // the deprecated names, read after the new ones as llama.cpp does
            fimPre = special("tokenizer.ggml.prefix_token_id", fimPre, n);
            fimSuf = special("tokenizer.ggml.suffix_token_id", fimSuf, n);
            fimMid = special("tokenizer.ggml.middle_token_id", fimMid, n);

            Boolean b = gguf.bool("tokenizer.ggml.add_bos_token");
            if (b != null) {
                addBos = b;
            }
            b = gguf.bool("tokenizer.ggml.add_eos_token");
            if (b != null) {
                addEos = b;
            }
        }

        private int special(String key, int current, int n) {
            int id = current >= n ? NULL : current;
            Long value = gguf.integer(key);
            if (value != null && value >= 0 && value < n) {
                id = (int) (long) value;
            }
            return id;
        }

        /** EOT, EOM and FIM tokens the metadata does not name, found by their text; made control tokens. */
        private void findSpecialTokensByText() {
            eot = findByText(eot, EOT_TEXTS);
            eom = findByText(eom, EOM_TEXTS);
            fimPre = findByText(fimPre, FIM_PRE_TEXTS);
            fimSuf = findByText(fimSuf, FIM_SUF_TEXTS);
            fimMid = findByText(fimMid, FIM_MID_TEXTS);
            fimPad = findByText(fimPad, FIM_PAD_TEXTS);
            fimRep = findByText(fimRep, FIM_REP_TEXTS);
            fimSep = findByText(fimSep, FIM_SEP_TEXTS);
        }

        private int findByText(int current, Set<String> candidates) {
            if (current != NULL) {
                return current;
            }
            for (int id = 0; id < texts.length; id++) {
                if (candidates.contains(texts[id])) {
                    attrs[id] |= ATTR_CONTROL;
                    return id;
                }
            }
            return NULL;
        }

        /** Control tokens named "...unused..." are unused. */
        private void markUnused() {
            String unused = "unused";
            for (int id = 0; id < texts.length; id++) {
                if ((attrs[id] & ATTR_CONTROL) != 0 && texts[id].contains(unused)) {
                    attrs[id] |= ATTR_UNUSED;
                }
            }
        }

        private void collectEndOfGeneration() {
            eog = new BitSet(texts.length);
            for (int id : new int[] {fimPad, fimRep, fimSep}) {
                if (id != NULL) {
                    eog.set(id);
                }
            }
            for (int id = 0; id < texts.length; id++) {
                if (EOG_TEXTS.contains(texts[id])) {
                    eog.set(id);
                    attrs[id] |= ATTR_CONTROL;
                }
            }
            for (int id = 0; id < texts.length; id++) {
                if (ALWAYS_USER_DEFINED.contains(texts[id])) {
                    attrs[id] = ATTR_USER_DEFINED;
                }
            }
            for (int id : new int[] {eos, eot, eom}) {
                if (id != NULL) {
                    eog.set(id);
                }
            }
            // gpt-oss and solar-open: "<|end|>" ends a message, not the generation, where
            // "<|return|>" and "<|call|>" (or "<|calls|>" and "<|flush|>") exist
            boolean hasReturn = false, hasCall = false, hasFlush = false;
            int end = NULL;
            for (int id = eog.nextSetBit(0); id >= 0; id = eog.nextSetBit(id + 1)) {
                String text = texts[id];
                if (text.equals("<|return|>")) {
                    hasReturn = true;
                } else if (text.equals("<|call|>") || text.equals("<|calls|>")) {
                    hasCall = true;
                } else if (text.equals("<|flush|>")) {
                    hasFlush = true;
                } else if (text.equals("<|end|>")) {
                    end = id;
                }
            }
            if (end != NULL && ((hasReturn && hasCall) || (hasCall && hasFlush))) {
                eog.clear(end);
                attrs[end] = ATTR_USER_DEFINED;
            }
            // gemma4 and paddleocr: "</s>" is not an end of generation where "<|tool_response>" is one
            boolean hasToolResponse = false;
            int closingS = NULL;
            for (int id = eog.nextSetBit(0); id >= 0; id = eog.nextSetBit(id + 1)) {
                if (texts[id].equals("<|tool_response>")) {
                    hasToolResponse = true;
                } else if (texts[id].equals("</s>")) {
                    closingS = id;
                }
            }
            if (hasToolResponse && closingS != NULL) {
                eog.clear(closingS);
                attrs[closingS] = ATTR_NORMAL;
            }
        }

        private void collectSpecialTokens() {
            List<Integer> special = new ArrayList<>();
            for (int id = 0; id < texts.length; id++) {
                if ((attrs[id] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) != 0) {
                    special.add(id);
                }
            }
            special.sort(Comparator.comparingInt((Integer id) -> texts[id].length()).reversed());
            specialTokens = special.stream().mapToInt(Integer::intValue).toArray();
        }

        private void buildPieces() {
            pieces = new byte[texts.length][];
            for (int id = 0; id < texts.length; id++) {
                pieces[id] = piece(id);
            }
        }

        /** llama_vocab::impl::token_to_piece with special = true. */
        private byte[] piece(int id) {
            String text = texts[id];
            int attr = attrs[id];
            if (type == Type.TEST) {
                return Integer.toHexString(id).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            }
            if ((attr & (ATTR_UNKNOWN | ATTR_CONTROL | ATTR_USER_DEFINED)) != 0) {
                return ByteStrings.bytes(text);
            }
            if ((attr & ATTR_NORMAL) != 0) {
                if (type == Type.SPM || escapeWhitespaces) {
                    return ByteStrings.bytes(text.replace(ESCAPED_SPACE, " "));
                }
                return decodeByteLevel(text);
            }
            if ((attr & ATTR_BYTE) != 0) {
                return new byte[] {byteOfToken(text)};
            }
            // unused and undefined tokens have no piece
            return new byte[0];
        }

        /** token_to_byte: the hex digits of "<0xXX>" (strtol over the two chars at 3). */
        private static byte byteOfToken(String text) {
            int value = 0;
            for (int i = 3; i < Math.min(5, text.length()); i++) {
                int digit = Character.digit(text.charAt(i), 16);
                if (digit < 0) {
                    break;
                }
                value = value * 16 + digit;
            }
            return (byte) value;
        }

        /** llama_decode_text: GPT-2's byte-level alphabet back to bytes; foreign code points are marked. */
        private static byte[] decodeByteLevel(String text) {
            byte[] raw = ByteStrings.bytes(text);
            IntList cpts = Utf8.codepoints(raw, 0, raw.length);
            ByteBuilder out = new ByteBuilder(raw.length);
            for (int i = 0; i < cpts.size(); i++) {
                int cp = cpts.get(i);
                int b = ByteLevel.byteOf(cp);
                if (b >= 0) {
                    out.append(b);
                } else {
                    ByteBuilder utf8 = new ByteBuilder(4);
                    Utf8.append(utf8, cp);
                    StringBuilder mark = new StringBuilder("[UNK_BYTE_0x");
                    for (byte u : utf8.toArray()) {
                        mark.append(String.format("%02x", u & 0xFF));
                    }
                    out.append(ByteStrings.bytes(mark.toString()));
                    out.append(raw);
                    out.append(']');
                }
            }
            return out.toArray();
        }

        /** Attributes llama.cpp sets by model or pre-tokenizer name (after the pieces are made). */
        private void setModelSpecificAttributes() {
            String name = asciiLower(gguf.string("general.name"));
            String preName = pre == null ? "" : pre;
            String arch = gguf.string("general.architecture") == null ? "" : gguf.string("general.architecture");
            if (containsAny(preName, "jina-v2-de", "jina-v2-es", "jina-v2-code") || containsAny(arch, "nomic-bert-moe", "jina-bert-v3")) {
                setAttribute("<mask>", ATTR_LSTRIP, true);
            } else if (containsAny(name, "phi-3", "phi3")) {
                for (int id : specialTokens) {
                    attrs[id] |= ATTR_RSTRIP;
                }
                setAttribute("</s>", ATTR_RSTRIP, true);
                for (String t : new String[] {"<unk>", "<s>", "<|endoftext|>"}) {
                    setAttribute(t, ATTR_RSTRIP, false);
                }
            } else if (containsAny(name, "modern-bert")) {
                setAttribute("[MASK]", ATTR_LSTRIP, true);
            }
        }

        private void setAttribute(String text, int attr, boolean value) {
            Integer id = ids.get(text);
            if (id != null) {
                attrs[id] = value ? attrs[id] | attr : attrs[id] & ~attr;
            }
        }

        private static boolean containsAny(String s, String... parts) {
            return Arrays.stream(parts).anyMatch(s::contains);
        }

        /** std::tolower per byte in the C locale: ASCII only. */
        private static String asciiLower(String s) {
            if (s == null) {
                return "";
            }
            StringBuilder b = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                b.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
            }
            return b.toString();
        }
    }
}
