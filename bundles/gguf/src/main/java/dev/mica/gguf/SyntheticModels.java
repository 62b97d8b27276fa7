package dev.mica.gguf;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Random-weight models of real architectures as GGUF files that llama.cpp loads: their output is noise,
 * their shapes, metadata and tokenizers are real. Deterministic: the same configuration, seed and type
 * give the same bytes. Weights are generated row by row while the file is written, so a 1B-parameter
 * file needs only a few megabytes of heap.
 *
 * <p>Architecture {@code llama} (Llama 2/3 layout: RMS norm, RoPE, grouped-query attention, SwiGLU),
 * with either a SentencePiece-style vocabulary ({@code tokenizer.ggml.model = "llama"}: {@code <unk>},
 * {@code <s>}, {@code </s>}, the 256 byte tokens {@code <0x00>..<0xFF>}, then word pieces) or a
 * GPT-2-style byte-level BPE vocabulary with merges ({@code "gpt2"}, pre-tokenizer {@code "llama-bpe"},
 * Llama 3's special tokens at the end).
 *
 * <p>Command line, for bench scripts:
 * <pre>
 * java -cp mica-gguf.jar dev.mica.gguf.SyntheticModels --preset llama-1b --type f16 --out model.gguf
 * </pre>
 * Options: {@code --preset tiny|tiny-bpe|llama-1b}, {@code --type f32|f16|bf16|q8_0|q4_0},
 * {@code --out FILE}, {@code --seed N}, and overrides {@code --n-embd --n-layer --n-head --n-head-kv
 * --n-ff --n-vocab --ctx --rope-theta --vocab spm|bpe --tie true|false}.
 */
public final class SyntheticModels {

    private SyntheticModels() {}

    /** Which tokenizer a synthetic model gets. */
    public enum VocabKind {
        /** SentencePiece-style ("llama"): scores drive merges, byte fallback tokens. */
        SPM,
        /** GPT-2 byte-level BPE with merges ("gpt2", pre-tokenizer "llama-bpe"), Llama 3 special tokens. */
        BPE
    }

    /**
     * The shape of a synthetic llama model.
     *
     * @param name          written as {@code general.name}
     * @param nEmbd         embedding width (a multiple of 32 for Q8_0/Q4_0, of 256 for K-quants)
     * @param nLayer        blocks
     * @param nHead         attention heads (nEmbd must be divisible by it)
     * @param nHeadKv       KV heads (nHead must be divisible by it)
     * @param nFf           feed-forward width
     * @param nVocab        vocabulary size (SPM: at least 259; BPE: at least 512)
     * @param contextLength {@code llama.context_length}
     * @param ropeTheta     {@code llama.rope.freq_base}
     * @param rmsEps        {@code llama.attention.layer_norm_rms_epsilon}
     * @param vocab         tokenizer kind
     * @param tieEmbeddings no {@code output.weight}: the output projection reuses {@code token_embd}
     * @param seed          random seed of weights and vocabulary
     */
    public record LlamaConfig(String name, int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf, int nVocab,
                              int contextLength, float ropeTheta, float rmsEps, VocabKind vocab,
                              boolean tieEmbeddings, long seed) {
        public LlamaConfig {
            if (nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || nHeadKv <= 0 || nFf <= 0 || contextLength <= 0) {
                throw new IllegalArgumentException("dimensions must be positive");
            }
            if (nEmbd % nHead != 0) throw new IllegalArgumentException("n_embd " + nEmbd + " is not divisible by n_head " + nHead);
            if (nHead % nHeadKv != 0) throw new IllegalArgumentException("n_head " + nHead + " is not divisible by n_head_kv " + nHeadKv);
            if (vocab == VocabKind.SPM && nVocab < 259) throw new IllegalArgumentException("an SPM vocabulary needs at least 259 tokens");
            if (vocab == VocabKind.BPE && nVocab < 512) throw new IllegalArgumentException("a BPE vocabulary needs at least 512 tokens");
        }

        /** A test-sized model: 64 wide, 2 layers, 4 heads / 2 KV heads, SPM vocabulary of 512 tokens. */
        public static LlamaConfig tiny() {
            return new LlamaConfig("mica synthetic tiny", 64, 2, 4, 2, 128, 512, 512, 10000f, 1e-5f, VocabKind.SPM, false, 42);
        }

        /** As {@link #tiny()} with a BPE vocabulary of 1024 tokens. */
        public static LlamaConfig tinyBpe() {
            return new LlamaConfig("mica synthetic tiny-bpe", 64, 2, 4, 2, 128, 1024, 512, 500000f, 1e-5f, VocabKind.BPE, false, 42);
        }

        /**
         * Llama-3.2-1B's shape: 2048 wide, 16 layers, 32 heads / 8 KV heads (head size 64), n_ff 8192,
         * a BPE vocabulary of 128256 tokens, tied embeddings, rope theta 500000, context 131072.
         */
        public static LlamaConfig llama1b() {
            return new LlamaConfig("mica synthetic llama-3.2-1b shape", 2048, 16, 32, 8, 8192, 128256, 131072, 500000f, 1e-5f,
                    VocabKind.BPE, true, 42);
        }

        public int headDim() { return nEmbd / nHead; }

        public LlamaConfig withSeed(long s) {
            return new LlamaConfig(name, nEmbd, nLayer, nHead, nHeadKv, nFf, nVocab, contextLength, ropeTheta, rmsEps, vocab, tieEmbeddings, s);
        }

        public LlamaConfig withVocab(VocabKind v, int n) {
            return new LlamaConfig(name, nEmbd, nLayer, nHead, nHeadKv, nFf, n, contextLength, ropeTheta, rmsEps, v, tieEmbeddings, seed);
        }

        public LlamaConfig withLayers(int n) {
            return new LlamaConfig(name, nEmbd, n, nHead, nHeadKv, nFf, nVocab, contextLength, ropeTheta, rmsEps, vocab, tieEmbeddings, seed);
        }

        /** Number of parameters of the model this configuration describes. */
        public long parameterCount() {
            long e = nEmbd, kv = (long) nHeadKv * headDim();
            long perLayer = 2 * e + e * e * 2 + 2 * e * kv + 3 * e * nFf;
            return (long) nVocab * e * (tieEmbeddings ? 1 : 2) + e + nLayer * perLayer;
        }
    }

    /**
     * A tokenizer vocabulary as GGUF stores it.
     *
     * @param model     {@code tokenizer.ggml.model}: "llama" or "gpt2"
     * @param pre       {@code tokenizer.ggml.pre}
     * @param tokens    token texts
     * @param scores    scores (SPM: merge priority; BPE: zeros)
     * @param types     llama.cpp token types: 1 normal, 2 unknown, 3 control, 6 byte
     * @param merges    BPE merges "left right" by rank (empty for SPM)
     * @param bos       BOS token id
     * @param eos       EOS token id
     * @param unk       unknown token id, -1 when none
     * @param chatTemplate the Jinja chat template
     */
    public record Vocab(String model, String pre, List<String> tokens, float[] scores, int[] types, List<String> merges,
                        int bos, int eos, int unk, String chatTemplate) {}

    public static final int TOKEN_NORMAL = 1, TOKEN_UNKNOWN = 2, TOKEN_CONTROL = 3, TOKEN_BYTE = 6;

    /** Llama 3's chat template (the essentials: header ids, eot after each message, generation prompt). */
    public static final String LLAMA3_TEMPLATE = """
            {{- bos_token }}
            {%- for message in messages %}
                {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
            {%- endif %}
            """;

    /** Llama 2's chat template ([INST] ... [/INST], an optional system prompt in <<SYS>>). */
    public static final String LLAMA2_TEMPLATE = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = '<<SYS>>\\n' + messages[0]['content'] | trim + '\\n<</SYS>>\\n\\n' %}"
            + "{% else %}{% set loop_messages = messages %}{% set system_message = '' %}{% endif %}"
            + "{% for message in loop_messages %}{% if loop.index0 == 0 %}{% set content = system_message + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content | trim + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' ' + content | trim + ' ' + eos_token }}{% endif %}{% endfor %}";

    private static final String[] WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one had "
            + "by word but not what all were we when your can said there use an each which she do how their if will up other about out many "
            + "then them these so some her would make like him into time has look two more write go see number no way could people my than "
            + "first water been call who oil its now find long down day did get come made may part once upon there lived little girl boy "
            + "named lily tim happy sun play park dog cat ball tree big saw went mom dad friend loved wanted very said hello world story "
            + "model token cache mica llama java kernel bundle").split(" ");

    // ---------------------------------------------------------------- vocabularies

    /** A SentencePiece-style vocabulary of {@code n} tokens (at least 259). */
    public static Vocab spmVocab(int n) {
        List<String> tokens = new ArrayList<>(n);
        Set<String> seen = new HashSet<>();
        tokens.add("<unk>");
        tokens.add("<s>");
        tokens.add("</s>");
        for (int b = 0; b < 256; b++) tokens.add(String.format(Locale.ROOT, "<0x%02X>", b));
        seen.addAll(tokens);
        List<String> pieces = new ArrayList<>();
        pieces.add("\u2581");
        for (char c = 'a'; c <= 'z'; c++) pieces.add(String.valueOf(c));
        for (char c = 'A'; c <= 'Z'; c++) pieces.add(String.valueOf(c));
        for (char c = '0'; c <= '9'; c++) pieces.add(String.valueOf(c));
        for (char c : ".,!?'\"-:;()".toCharArray()) pieces.add(String.valueOf(c));
        for (String w : WORDS) {
            pieces.add("\u2581" + w);
            pieces.add(w);
        }
        for (char a = 'a'; a <= 'z'; a++) for (char b = 'a'; b <= 'z'; b++) pieces.add("" + a + b);
        for (char a = 'a'; a <= 'z'; a++) for (char b = 'a'; b <= 'z'; b++) pieces.add("\u2581" + a + b);
        for (int i = 0; tokens.size() < n; i++) {
            String p = i < pieces.size() ? pieces.get(i) : "\u2581x" + i;
            if (seen.add(p)) tokens.add(p);
        }
        float[] scores = new float[n];
        int[] types = new int[n];
        types[0] = TOKEN_UNKNOWN;
        types[1] = TOKEN_CONTROL;
        types[2] = TOKEN_CONTROL;
        for (int i = 3; i < 259; i++) types[i] = TOKEN_BYTE;
        for (int i = 259; i < n; i++) {
            types[i] = TOKEN_NORMAL;
            scores[i] = -(i - 259);
        }
        return new Vocab("llama", "default", List.copyOf(tokens), scores, types, List.of(), 1, 2, 0, LLAMA2_TEMPLATE);
    }

    /** GPT-2's byte → printable character mapping ({@code bytes_to_unicode}); index = byte. */
    static char[] byteToUnicode() {
        char[] map = new char[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int extra = 0;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char) b : (char) (256 + extra++);
        return map;
    }

    /** The 256 byte tokens in GPT-2's order: the printable bytes first, then the rest. */
    private static List<String> byteTokens(char[] map) {
        List<String> out = new ArrayList<>(256);
        List<Integer> order = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) order.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) order.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) order.add(b);
        for (int b = 0; b < 256; b++) if (!order.contains(b)) order.add(b);
        for (int b : order) out.add(String.valueOf(map[b]));
        return out;
    }

    /**
     * A byte-level BPE vocabulary of {@code n} tokens (at least 512): 256 byte tokens, merges that build
     * English words with and without a leading space ("Ġthe"), then deterministic pseudo-random merges,
     * and special tokens at the end: 256 of them as in Llama 3 when n ≥ 128256 ({@code <|begin_of_text|>}
     * = n−256, {@code <|eot_id|>} = n−247, ...), else 16.
     */
    public static Vocab bpeVocab(int n, long seed) {
        int nSpecial = n >= 128256 ? 256 : 16;
        int nRegular = n - nSpecial;
        char[] map = byteToUnicode();
        String space = String.valueOf(map[' ']);  // "Ġ"
        List<String> tokens = new ArrayList<>(n);
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (String t : byteTokens(map)) {
            ids.put(t, tokens.size());
            tokens.add(t);
        }
        List<String> merges = new ArrayList<>(nRegular);
        // words, built left to right: "Ġ" + "t" -> "Ġt", "Ġt" + "h" -> "Ġth", ...
        List<String> words = new ArrayList<>();
        for (String w : WORDS) {
            words.add(space + w);
            words.add(w);
        }
        words.add("\u010a\u010a"); // "\n\n"
        for (String w : words) {
            String cur = w.substring(0, 1);
            for (int i = 1; i < w.length() && tokens.size() < nRegular; i++) {
                String next = w.substring(i, i + 1);
                String merged = cur + next;
                if (!ids.containsKey(merged)) {
                    ids.put(merged, tokens.size());
                    tokens.add(merged);
                    merges.add(cur + " " + next);
                }
                cur = merged;
            }
        }
        // then pseudo-random merges of existing letter tokens, kept short
        long s = mix(seed ^ 0x5eed_b0c4L);
        List<String> pool = new ArrayList<>();
        for (String t : tokens) if (isWordy(t, space)) pool.add(t);
        int poolSingles = pool.size();
        while (tokens.size() < nRegular) {
            s = mix(s);
            String a = pool.get((int) Long.remainderUnsigned(s, pool.size()));
            s = mix(s);
            // the right part: mostly single letters, sometimes any short token
            String b = pool.get((int) Long.remainderUnsigned(s, (s & 3) == 0 ? pool.size() : poolSingles));
            if (b.startsWith(space)) continue;
            String merged = a + b;
            if (merged.length() > 12 || ids.containsKey(merged)) continue;
            ids.put(merged, tokens.size());
            tokens.add(merged);
            merges.add(a + " " + b);
            pool.add(merged);
        }
        List<String> specials = new ArrayList<>(List.of("<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>",
                "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"));
        for (int i = 3; specials.size() < nSpecial; i++) specials.add("<|reserved_special_token_" + i + "|>");
        tokens.addAll(specials);
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) types[i] = i < nRegular ? TOKEN_NORMAL : TOKEN_CONTROL;
        return new Vocab("gpt2", "llama-bpe", List.copyOf(tokens), scores, types, List.copyOf(merges),
                nRegular, nRegular + 9, -1, LLAMA3_TEMPLATE);
    }

    private static boolean isWordy(String t, String space) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (!(c >= 'a' && c <= 'z') && !(i == 0 && t.startsWith(space))) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- models

    /** A writer holding a random-weight llama model's metadata and tensors (data generated while writing). */
    public static GgufWriter llama(LlamaConfig c, GgmlType type) {
        LlamaFileType ftype = switch (type) {
            case F32 -> LlamaFileType.ALL_F32;
            case F16 -> LlamaFileType.MOSTLY_F16;
            case BF16 -> LlamaFileType.MOSTLY_BF16;
            case Q8_0 -> LlamaFileType.MOSTLY_Q8_0;
            case Q4_0 -> LlamaFileType.MOSTLY_Q4_0;
            default -> throw new IllegalArgumentException("synthetic models are written as F32, F16, BF16, Q8_0 or Q4_0, not " + type
                    + " (quantize further with llama-quantize)");
        };
        if (type.isQuantized() && (c.nEmbd() % 32 != 0 || c.nFf() % 32 != 0)) {
            throw new IllegalArgumentException(type + " needs n_embd and n_ff to be multiples of 32");
        }
        Vocab v = c.vocab() == VocabKind.SPM ? spmVocab(c.nVocab()) : bpeVocab(c.nVocab(), c.seed());
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.type", "model");
        w.putString("general.name", c.name());
        w.putUInt32("general.file_type", ftype.id());
        if (type.isQuantized()) w.putUInt32("general.quantization_version", 2);
        w.putUInt32("llama.context_length", c.contextLength());
        w.putUInt32("llama.embedding_length", c.nEmbd());
        w.putUInt32("llama.block_count", c.nLayer());
        w.putUInt32("llama.feed_forward_length", c.nFf());
        w.putUInt32("llama.attention.head_count", c.nHead());
        w.putUInt32("llama.attention.head_count_kv", c.nHeadKv());
        w.putUInt32("llama.rope.dimension_count", c.headDim());
        w.putFloat32("llama.rope.freq_base", c.ropeTheta());
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", c.rmsEps());
        w.putUInt32("llama.vocab_size", c.nVocab());
        w.putString("tokenizer.ggml.model", v.model());
        w.putString("tokenizer.ggml.pre", v.pre());
        w.putStrings("tokenizer.ggml.tokens", v.tokens());
        w.putFloats("tokenizer.ggml.scores", v.scores());
        w.putInts("tokenizer.ggml.token_type", v.types());
        if (!v.merges().isEmpty()) w.putStrings("tokenizer.ggml.merges", v.merges());
        w.putUInt32("tokenizer.ggml.bos_token_id", v.bos());
        w.putUInt32("tokenizer.ggml.eos_token_id", v.eos());
        if (v.unk() >= 0) w.putUInt32("tokenizer.ggml.unknown_token_id", v.unk());
        w.putBool("tokenizer.ggml.add_bos_token", true);
        w.putBool("tokenizer.ggml.add_eos_token", false);
        w.putString("tokenizer.chat_template", v.chatTemplate());

        long e = c.nEmbd(), q = (long) c.nHead() * c.headDim(), kv = (long) c.nHeadKv() * c.headDim();
        float embScale = 0.02f;
        addWeight(w, c, "token_embd.weight", type, new long[] {e, c.nVocab()}, embScale);
        for (int i = 0; i < c.nLayer(); i++) {
            String p = "blk." + i + ".";
            addNorm(w, c, p + "attn_norm.weight", e);
            addWeight(w, c, p + "attn_q.weight", type, new long[] {e, q}, scale(e));
            addWeight(w, c, p + "attn_k.weight", type, new long[] {e, kv}, scale(e));
            addWeight(w, c, p + "attn_v.weight", type, new long[] {e, kv}, scale(e));
            addWeight(w, c, p + "attn_output.weight", type, new long[] {q, e}, scale(q));
            addNorm(w, c, p + "ffn_norm.weight", e);
            addWeight(w, c, p + "ffn_gate.weight", type, new long[] {e, c.nFf()}, scale(e));
            addWeight(w, c, p + "ffn_up.weight", type, new long[] {e, c.nFf()}, scale(e));
            addWeight(w, c, p + "ffn_down.weight", type, new long[] {c.nFf(), e}, scale(c.nFf()));
        }
        addNorm(w, c, "output_norm.weight", e);
        if (!c.tieEmbeddings()) addWeight(w, c, "output.weight", type, new long[] {e, c.nVocab()}, scale(e));
        return w;
    }

    /** Writes a random-weight llama model; returns the bytes written. */
    public static long writeLlama(LlamaConfig c, GgmlType type, Path out) throws IOException {
        return llama(c, type).write(out);
    }

    /** A preset by name: "tiny", "tiny-bpe", "llama-1b". */
    public static LlamaConfig preset(String name) {
        return switch (name) {
            case "tiny" -> LlamaConfig.tiny();
            case "tiny-bpe" -> LlamaConfig.tinyBpe();
            case "llama-1b", "llama-3.2-1b" -> LlamaConfig.llama1b();
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (tiny, tiny-bpe, llama-1b)");
        };
    }

    /** Uniform bound for a fan-in of n: keeps activations of order 1 through random layers. */
    static float scale(long fanIn) {
        return (float) (1.0 / Math.sqrt(fanIn));
    }

    private static void addNorm(GgufWriter w, LlamaConfig c, String name, long n) {
        addNorm(w, c.seed(), name, n);
    }

    static void addNorm(GgufWriter w, long modelSeed, String name, long n) {
        long seed = mix(modelSeed ^ name.hashCode());
        w.addTensor(name, GgmlType.F32, new long[] {n}, TensorData.rows((row, dst) -> {
            long s = mix(seed);
            for (int i = 0; i < dst.length; i++) {
                s = xorshift(s);
                dst[i] = 1.0f + ((s >>> 40) * 0x1.0p-24f - 0.5f) * 0.1f;   // 0.95 .. 1.05
            }
        }));
    }

    private static void addWeight(GgufWriter w, LlamaConfig c, String name, GgmlType type, long[] shape, float bound) {
        addWeight(w, c.seed(), name, type, shape, bound);
    }

    /** Uniform in ±bound, row by row from a seed of the model and the tensor's name. */
    static void addWeight(GgufWriter w, long modelSeed, String name, GgmlType type, long[] shape, float bound) {
        long seed = mix(modelSeed * 0x9E3779B97F4A7C15L ^ name.hashCode());
        float twice = 2 * bound;
        w.addTensor(name, type, shape, TensorData.rows((row, dst) -> {
            long s = mix(seed ^ row * 0xD1B54A32D192ED03L);
            for (int i = 0; i < dst.length; i++) {
                s = xorshift(s);
                dst[i] = ((s >>> 40) * 0x1.0p-24f - 0.5f) * twice;
            }
        }));
    }

    /** SplitMix64's finalizer (never maps a nonzero state to zero... nor zero to nonzero: callers avoid 0). */
    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long xorshift(long s) {
        s ^= s << 13;
        s ^= s >>> 7;
        s ^= s << 17;
        return s;
    }

    // ---------------------------------------------------------------- command line

    public static void main(String[] args) {
        try {
            System.exit(run(args, System.out, System.err));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.println(USAGE);
                return 0;
            }
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + a + "'\n" + USAGE);
            String k = a.substring(2), val;
            int eq = k.indexOf('=');
            if (eq >= 0) {
                val = k.substring(eq + 1);
                k = k.substring(0, eq);
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException("--" + k + " needs a value");
                val = args[++i];
            }
            o.put(k, val);
        }
        if (!o.containsKey("out")) throw new IllegalArgumentException("--out FILE is required\n" + USAGE);
        if (o.getOrDefault("preset", "").startsWith("qwen35")) return SyntheticHybrid.run(o, out, err);
        LlamaConfig p = preset(o.getOrDefault("preset", "tiny"));
        VocabKind vk = o.containsKey("vocab") ? VocabKind.valueOf(o.get("vocab").toUpperCase(Locale.ROOT)) : p.vocab();
        LlamaConfig c = new LlamaConfig(p.name(), num(o, "n-embd", p.nEmbd()), num(o, "n-layer", p.nLayer()), num(o, "n-head", p.nHead()),
                num(o, "n-head-kv", p.nHeadKv()), num(o, "n-ff", p.nFf()), num(o, "n-vocab", p.nVocab()), num(o, "ctx", p.contextLength()),
                o.containsKey("rope-theta") ? Float.parseFloat(o.get("rope-theta")) : p.ropeTheta(), p.rmsEps(), vk,
                o.containsKey("tie") ? Boolean.parseBoolean(o.get("tie")) : p.tieEmbeddings(),
                o.containsKey("seed") ? Long.parseLong(o.get("seed")) : p.seed());
        GgmlType type;
        try {
            type = GgmlType.valueOf(o.getOrDefault("type", "f16").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown --type '" + o.get("type") + "' (f32, f16, bf16, q8_0, q4_0)");
        }
        Path path = Path.of(o.get("out"));
        long t0 = System.nanoTime();
        long bytes;
        try {
            bytes = writeLlama(c, type, path);
        } catch (IOException e) {
            err.println("error: writing " + path + ": " + e.getMessage());
            return 1;
        }
        out.printf(Locale.ROOT, "wrote %s: llama %s, %d params, n_embd %d, n_layer %d, n_head %d/%d, n_ff %d, vocab %d (%s), %.1f MiB in %.1f s%n",
                path, type, c.parameterCount(), c.nEmbd(), c.nLayer(), c.nHead(), c.nHeadKv(), c.nFf(), c.nVocab(), c.vocab(),
                bytes / 1048576.0, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    static int num(Map<String, String> o, String k, int dflt) {
        return o.containsKey(k) ? Integer.parseInt(o.get(k)) : dflt;
    }

    private static final String USAGE = """
            usage: java -cp mica-gguf.jar dev.mica.gguf.SyntheticModels --out FILE [options]
              --preset tiny|tiny-bpe|llama-1b   shape preset (default tiny)
              --preset qwen35-tiny|qwen35-0.8b  a Qwen3.5 hybrid (gated-delta layers, every fourth one attention)
              --type f32|f16|bf16|q8_0|q4_0      tensor type of the 2-D weights (default f16; norms stay f32)
              --seed N                           random seed (default 42)
              --n-embd N --n-layer N --n-head N --n-head-kv N --n-ff N --n-vocab N --ctx N --rope-theta X
              --vocab spm|bpe --tie true|false   overrides of the preset""";
}
