package dev.mica.ggml;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a tiny llama-architecture GGUF with random F32 weights and a small SentencePiece-style
 * vocabulary, so the tests run without any downloaded model. Its output is noise, but deterministic
 * noise: the same seed writes the same file.
 *
 * <p>Shapes: 2 layers, 64 wide, 4 heads (2 KV heads), feed-forward 128; every dimension a multiple
 * of 32 so the file can also be quantized to Q8_0. The vocabulary: {@code <unk> <s> </s>}, the 256
 * byte tokens {@code <0x00>..<0xFF>} (SentencePiece's fallback), then letters, words and punctuation.
 *
 * <p>With {@code endsAtOnce}, every token embedding carries a large constant component that the
 * output row of {@code </s>} alone reads, so greedy decoding ends the text immediately: a model for
 * testing end-of-generation.
 */
final class TinyLlamaGguf {
    static final int EMBD = 64, HEADS = 4, KV_HEADS = 2, FF = 128, LAYERS = 2, CONTEXT = 512;
    static final int UNK = 0, BOS = 1, EOS = 2;

    private static final String[] WORDS = {"the", "cat", "sat", "on", "mat", "dog", "ran", "and", "is", "it",
            "to", "big", "red", "ball", "once", "upon", "time", "there", "was"};

    private TinyLlamaGguf() {}

    /** The vocabulary: token text, SentencePiece score and llama token type. */
    record Vocab(List<String> tokens, float[] scores, int[] types) {}

    static Vocab vocab() {
        List<String> tokens = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        add(tokens, scores, types, "<unk>", 0f, 2);
        add(tokens, scores, types, "<s>", 0f, 3);
        add(tokens, scores, types, "</s>", 0f, 3);
        for (int b = 0; b < 256; b++) {
            add(tokens, scores, types, String.format("<0x%02X>", b), 0f, 6);
        }
        // Longer pieces score higher, so the tokenizer prefers whole words to letters.
        add(tokens, scores, types, "\u2581", -10f, 1);
        for (char c = 'a'; c <= 'z'; c++) {
            add(tokens, scores, types, String.valueOf(c), -10f, 1);
            add(tokens, scores, types, "\u2581" + c, -9f, 1);
        }
        // SentencePiece merges adjacent pieces into longer ones that exist in the vocabulary, so a
        // word is reachable only through its prefixes: they are in the vocabulary too.
        for (String w : WORDS) {
            for (int k = 2; k <= w.length(); k++) {
                String prefix = w.substring(0, k);
                if (!tokens.contains(prefix)) {
                    add(tokens, scores, types, prefix, -10f + k, 1);
                }
                if (!tokens.contains("\u2581" + prefix)) {
                    add(tokens, scores, types, "\u2581" + prefix, -9f + k, 1);
                }
            }
        }
        for (String p : new String[] {".", ",", "!", "?"}) {
            add(tokens, scores, types, p, -10f, 1);
        }
        float[] s = new float[scores.size()];
        int[] t = new int[types.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            t[i] = types.get(i);
        }
        return new Vocab(List.copyOf(tokens), s, t);
    }

    /** libllama asserts (ends the process) on a vocabulary with a duplicate token. */
    private static void add(List<String> tokens, List<Float> scores, List<Integer> types, String text, float score, int type) {
        if (tokens.contains(text)) {
            throw new IllegalStateException("duplicate token " + text);
        }
        tokens.add(text);
        scores.add(score);
        types.add(type);
    }

    static void write(Path file, long seed, boolean endsAtOnce, String chatTemplate) {
        write(file, seed, endsAtOnce, chatTemplate, "llama");
    }

    /** {@code tokenizerModel} "no_vocab" writes a model without a usable vocabulary. */
    static void write(Path file, long seed, boolean endsAtOnce, String chatTemplate, String tokenizerModel) {
        Vocab vocab = vocab();
        int nVocab = vocab.tokens().size();
        int headDim = EMBD / HEADS;
        Random random = new Random(seed);

        Map<String, Object> kv = new LinkedHashMap<>();
        kv.put("general.architecture", "llama");
        kv.put("general.name", "tiny-test-llama");
        kv.put("general.file_type", 0); // ALL_F32
        kv.put("llama.context_length", CONTEXT);
        kv.put("llama.embedding_length", EMBD);
        kv.put("llama.block_count", LAYERS);
        kv.put("llama.feed_forward_length", FF);
        kv.put("llama.attention.head_count", HEADS);
        kv.put("llama.attention.head_count_kv", KV_HEADS);
        kv.put("llama.rope.dimension_count", headDim);
        kv.put("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        kv.put("tokenizer.ggml.model", tokenizerModel);
        if (tokenizerModel.equals("no_vocab")) {
            // Without a vocabulary libllama takes the output width from here.
            kv.put("llama.vocab_size", nVocab);
        }
        kv.put("tokenizer.ggml.tokens", vocab.tokens());
        kv.put("tokenizer.ggml.scores", vocab.scores());
        kv.put("tokenizer.ggml.token_type", vocab.types());
        kv.put("tokenizer.ggml.unknown_token_id", UNK);
        kv.put("tokenizer.ggml.bos_token_id", BOS);
        kv.put("tokenizer.ggml.eos_token_id", EOS);
        kv.put("tokenizer.ggml.add_bos_token", true);
        kv.put("tokenizer.ggml.add_eos_token", false);
        if (chatTemplate != null) {
            kv.put("tokenizer.chat_template", chatTemplate);
        }

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        float[] embeddings = gaussian(random, nVocab * EMBD, 0.5f);
        float[] output = gaussian(random, nVocab * EMBD, 0.05f);
        if (endsAtOnce) {
            for (int t = 0; t < nVocab; t++) {
                embeddings[t * EMBD] += 4f;
                output[t * EMBD] = t == EOS ? 3f : 0f;
            }
        }
        tensors.put("token_embd.weight", new Tensor(new long[] {EMBD, nVocab}, embeddings));
        tensors.put("output_norm.weight", new Tensor(new long[] {EMBD}, ones(EMBD)));
        tensors.put("output.weight", new Tensor(new long[] {EMBD, nVocab}, output));
        for (int l = 0; l < LAYERS; l++) {
            String p = "blk." + l + ".";
            tensors.put(p + "attn_norm.weight", new Tensor(new long[] {EMBD}, ones(EMBD)));
            tensors.put(p + "attn_q.weight", new Tensor(new long[] {EMBD, EMBD}, gaussian(random, EMBD * EMBD, 0.05f)));
            tensors.put(p + "attn_k.weight", new Tensor(new long[] {EMBD, KV_HEADS * headDim}, gaussian(random, EMBD * KV_HEADS * headDim, 0.05f)));
            tensors.put(p + "attn_v.weight", new Tensor(new long[] {EMBD, KV_HEADS * headDim}, gaussian(random, EMBD * KV_HEADS * headDim, 0.05f)));
            tensors.put(p + "attn_output.weight", new Tensor(new long[] {EMBD, EMBD}, gaussian(random, EMBD * EMBD, 0.05f)));
            tensors.put(p + "ffn_norm.weight", new Tensor(new long[] {EMBD}, ones(EMBD)));
            tensors.put(p + "ffn_gate.weight", new Tensor(new long[] {EMBD, FF}, gaussian(random, EMBD * FF, 0.05f)));
            tensors.put(p + "ffn_up.weight", new Tensor(new long[] {EMBD, FF}, gaussian(random, EMBD * FF, 0.05f)));
            tensors.put(p + "ffn_down.weight", new Tensor(new long[] {FF, EMBD}, gaussian(random, FF * EMBD, 0.05f)));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            new Writer(out).write(kv, tensors);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Tensor(long[] shape, float[] data) {}

    private static float[] gaussian(Random random, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian() * scale;
        }
        return a;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }

    /** GGUF v3, little-endian: header, key/values, tensor infos, then 32-byte aligned tensor data. */
    private static final class Writer {
        private static final int ALIGNMENT = 32;
        // enum gguf_type
        private static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9;

        private final OutputStream out;
        private long written;

        Writer(OutputStream out) {
            this.out = out;
        }

        void write(Map<String, Object> kv, Map<String, Tensor> tensors) throws IOException {
            u32(0x46554747); // "GGUF"
            u32(3);
            u64(tensors.size());
            u64(kv.size());
            for (Map.Entry<String, Object> e : kv.entrySet()) {
                string(e.getKey());
                value(e.getValue());
            }
            long offset = 0;
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                string(e.getKey());
                long[] shape = e.getValue().shape();
                u32(shape.length);
                for (long d : shape) {
                    u64(d);
                }
                u32(0); // GGML_TYPE_F32
                u64(offset);
                offset = align(offset + 4L * e.getValue().data().length);
            }
            pad();
            for (Tensor t : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(t.data());
                bytes(b.array());
                pad();
            }
        }

        @SuppressWarnings("unchecked")
        private void value(Object v) throws IOException {
            switch (v) {
                case String s -> { u32(STRING); string(s); }
                case Integer i -> { u32(UINT32); u32(i); }
                case Float f -> { u32(FLOAT32); f32(f); }
                case Boolean b -> { u32(BOOL); bytes(new byte[] {(byte) (b ? 1 : 0)}); }
                case float[] a -> {
                    u32(ARRAY); u32(FLOAT32); u64(a.length);
                    for (float f : a) f32(f);
                }
                case int[] a -> {
                    u32(ARRAY); u32(INT32); u64(a.length);
                    for (int i : a) u32(i);
                }
                case List<?> l -> {
                    u32(ARRAY); u32(STRING); u64(l.size());
                    for (String s : (List<String>) l) string(s);
                }
                default -> throw new IllegalArgumentException("no GGUF type for " + v.getClass());
            }
        }

        private static long align(long n) {
            return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        }

        private void pad() throws IOException {
            bytes(new byte[(int) (align(written) - written)]);
        }

        private void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        private void u32(int v) throws IOException {
            bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        private void u64(long v) throws IOException {
            bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        private void f32(float v) throws IOException {
            bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
        }

        private void bytes(byte[] b) throws IOException {
            out.write(b);
            written += b.length;
        }
    }
}
