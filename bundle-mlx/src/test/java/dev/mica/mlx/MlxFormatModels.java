package dev.mica.mlx;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.mica.gguf.GgmlType;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufTensor;
import dev.mica.gguf.GgufWriter;
import dev.mica.mlx.ffm.Mlx;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * MLX-format model folders written here, as mlx-community's would be: weights quantized by MLX
 * itself ({@code mlx_quantize}) in its packed layout, Hugging Face names and config.json, a
 * tokenizer.json. Also a reference dequantization in plain Java, from the packed bytes.
 */
final class MlxFormatModels {
    private MlxFormatModels() {}

    /** One quantized matrix as MLX packs it: values in uint32 words; scales as floats (affine) or bytes (E8M0/E4M3). */
    record Quantized(int[] words, float[] scales, int[] scaleBytes, float[] biases, int rows, int cols, String mode, int bits, int group) {}

    /** {@code w} [rows, cols] quantized by MLX. */
    static Quantized quantize(MlxRuntime rt, float[] w, int rows, int cols, String mode, int bits, int group) {
        return rt.call(() -> {
            Mlx mlx = rt.mlx();
            MemorySegment x = mlx.array(MemorySegment.ofArray(w), new int[] {rows, cols}, Mlx.FLOAT32);
            MemorySegment vec = mlx.op("mlx_quantize", x, mlx.optInt(false, group), mlx.optInt(true, bits), mlx.cstring(mode), MemorySegment.NULL);
            List<MemorySegment> parts = mlx.unpack(vec);
            mlx.invoke("mlx_vector_array_free", vec);
            try {
                mlx.eval(parts);
                boolean affine = mode.equals("affine");
                return new Quantized(mlx.ints(parts.get(0)), affine ? mlx.floats(parts.get(1)) : null,
                        affine ? null : mlx.ints(parts.get(1)), affine ? mlx.floats(parts.get(2)) : null, rows, cols, mode, bits, group);
            } finally {
                mlx.free(x);
                parts.forEach(mlx::free);
            }
        });
    }

    /** MLX's own dequantization of these packed values, from arrays rebuilt out of the Java copies. */
    static float[] dequantizeByMlx(MlxRuntime rt, Quantized q) {
        return rt.call(() -> {
            Mlx mlx = rt.mlx();
            int groups = q.cols() / q.group();
            MemorySegment w = mlx.array(MemorySegment.ofArray(q.words()), new int[] {q.rows(), q.cols() * q.bits() / 32}, Mlx.UINT32);
            MemorySegment s, b = MemorySegment.NULL;
            if (q.scales() != null) {
                s = mlx.array(MemorySegment.ofArray(q.scales()), new int[] {q.rows(), groups}, Mlx.FLOAT32);
                b = mlx.array(MemorySegment.ofArray(q.biases()), new int[] {q.rows(), groups}, Mlx.FLOAT32);
            } else {
                byte[] bytes = new byte[q.scaleBytes().length];
                for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) q.scaleBytes()[i];
                s = mlx.array(MemorySegment.ofArray(bytes), new int[] {q.rows(), groups}, Mlx.UINT8);
            }
            MemorySegment d = mlx.op("mlx_dequantize", w, s, b, mlx.optInt(false, q.group()), mlx.optInt(true, q.bits()), mlx.cstring(q.mode()),
                    MemorySegment.NULL, mlx.optDtype(Mlx.FLOAT32));
            try {
                return mlx.floats(d);
            } finally {
                for (MemorySegment a : List.of(w, s, b, d)) mlx.free(a);
            }
        });
    }

    /**
     * The reference: element j of a row is bits [j·b, (j+1)·b) of the row's little-endian bit
     * stream. affine: scale·q + bias; mxfp4/mxfp8: 2^(e−127) × E2M1/E4M3; nvfp4: E4M3 scale × E2M1.
     */
    static float[] dequantizeInJava(Quantized q) {
        float[] out = new float[q.rows() * q.cols()];
        int wordsPerRow = q.cols() * q.bits() / 32, groups = q.cols() / q.group();
        for (int r = 0; r < q.rows(); r++) {
            for (int j = 0; j < q.cols(); j++) {
                long bit = (long) j * q.bits();
                int word = (int) (bit >>> 5), shift = (int) (bit & 31);
                long pair = (q.words()[r * wordsPerRow + word] & 0xFFFFFFFFL)
                        | (word + 1 < wordsPerRow ? (q.words()[r * wordsPerRow + word + 1] & 0xFFFFFFFFL) << 32 : 0);
                int v = (int) ((pair >>> shift) & ((1L << q.bits()) - 1));
                int g = r * groups + j / q.group();
                out[r * q.cols() + j] = switch (q.mode()) {
                    case "affine" -> q.scales()[g] * v + q.biases()[g];
                    case "mxfp4" -> e8m0(q.scaleBytes()[g]) * e2m1(v);
                    case "mxfp8" -> e8m0(q.scaleBytes()[g]) * e4m3(v);
                    case "nvfp4" -> e4m3(q.scaleBytes()[g]) * e2m1(v);
                    default -> throw new IllegalArgumentException(q.mode());
                };
            }
        }
        return out;
    }

    static float e8m0(int e) {
        return e == 255 ? Float.NaN : (float) Math.scalb(1.0, e - 127);
    }

    private static final float[] E2M1 = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f};

    static float e2m1(int v) {
        float m = E2M1[v & 7];
        return (v & 8) != 0 ? -m : m;
    }

    /** OCP FP8 E4M3 (bias 7, no infinities, S.1111.111 is NaN). */
    static float e4m3(int v) {
        int e = (v >> 3) & 15, m = v & 7;
        float x;
        if (e == 15 && m == 7) x = Float.NaN;
        else if (e == 0) x = (float) Math.scalb(m / 8.0, -6);
        else x = (float) Math.scalb(1 + m / 8.0, e - 7);
        return (v & 0x80) != 0 ? -x : x;
    }

    static float bf16(float f) {
        int b = Float.floatToRawIntBits(f);
        return Float.intBitsToFloat(((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16) << 16);
    }

    // ---------------------------------------------------------------- safetensors

    record Entry(String name, String dtype, long[] shape, byte[] data) {}

    static void writeSafetensors(Path file, List<Entry> entries) throws IOException {
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"mlx\"}");
        long at = 0;
        for (Entry e : entries) {
            h.append(",\"").append(e.name()).append("\":{\"dtype\":\"").append(e.dtype()).append("\",\"shape\":[");
            for (int i = 0; i < e.shape().length; i++) h.append(i == 0 ? "" : ",").append(e.shape()[i]);
            h.append("],\"data_offsets\":[").append(at).append(',').append(at + e.data().length).append("]}");
            at += e.data().length;
        }
        h.append('}');
        while ((h.length() + 8) % 8 != 0) h.append(' ');
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
        try (var out = Files.newOutputStream(file)) {
            out.write(len.array());
            out.write(header);
            for (Entry e : entries) out.write(e.data());
        }
    }

    static byte[] le(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    static byte[] le(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int f : v) b.putInt(f);
        return b.array();
    }

    static byte[] leBf16(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putShort((short) (Float.floatToRawIntBits(f) >>> 16));
        return b.array();
    }

    static byte[] bytes(int[] v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    // ---------------------------------------------------------------- whole models

    private static final Map<String, String> NAMES = Map.ofEntries(
            Map.entry("attn_norm", "input_layernorm"), Map.entry("ffn_norm", "post_attention_layernorm"),
            Map.entry("attn_q", "self_attn.q_proj"), Map.entry("attn_k", "self_attn.k_proj"), Map.entry("attn_v", "self_attn.v_proj"),
            Map.entry("attn_output", "self_attn.o_proj"), Map.entry("attn_q_norm", "self_attn.q_norm"),
            Map.entry("attn_k_norm", "self_attn.k_norm"), Map.entry("ffn_gate", "mlp.gate_proj"), Map.entry("ffn_up", "mlp.up_proj"),
            Map.entry("ffn_down", "mlp.down_proj"), Map.entry("ffn_gate_inp", "mlp.gate"),
            Map.entry("ffn_gate_exps", "mlp.switch_mlp.gate_proj"), Map.entry("ffn_up_exps", "mlp.switch_mlp.up_proj"),
            Map.entry("ffn_down_exps", "mlp.switch_mlp.down_proj"));

    static String hfName(String gguf) {
        String base = gguf.substring(0, gguf.lastIndexOf('.')), suffix = gguf.substring(base.length());
        String top = switch (base) {
            case "token_embd" -> "model.embed_tokens";
            case "output_norm" -> "model.norm";
            case "output" -> "lm_head";
            default -> null;
        };
        if (top != null) return top + suffix;
        String[] p = base.split("\\.", 3);   // blk, N, name
        return "model.layers." + p[1] + "." + NAMES.get(p[2]) + suffix;
    }

    /**
     * {@code gguf} (an F32 Llama or Qwen3 file) as an MLX-format folder in {@code dir}; quantized in
     * {@code mode} (null: float32 as it is) where the input width divides into groups, as mlx-lm
     * does. With {@code reference} non-null, also writes there a GGUF F32 file of exactly the values
     * the folder's quantized weights stand for (affine scales rounded to bf16, as mlx-community's are).
     */
    static void write(MlxRuntime rt, Path gguf, Path dir, String mode, int bits, int group, Path reference) throws IOException {
        GgufFile file = GgufFile.read(gguf);
        String arch = file.architecture();
        boolean llama = arch.equals("llama");
        Files.createDirectories(dir);
        List<Entry> entries = new ArrayList<>();
        GgufWriter ref = reference == null ? null : new GgufWriter().putAll(file);
        int heads = (int) file.integer(arch + ".attention.head_count", 0);
        int kvHeads = (int) file.integer(arch + ".attention.head_count_kv", heads);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(gguf, StandardOpenOption.READ)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            for (GgufTensor t : file.tensors()) {
                if (t.type() != GgmlType.F32) throw new IllegalArgumentException(t.name() + " is not F32");
                float[] v = mapped.asSlice(t.offset(), t.byteSize()).toArray(JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN));
                long[] ne = t.shape();
                long[] shape = new long[ne.length];
                for (int i = 0; i < ne.length; i++) shape[i] = ne[ne.length - 1 - i];
                int permuteHeads = !llama ? 0 : t.name().endsWith("attn_q.weight") ? heads : t.name().endsWith("attn_k.weight") ? kvHeads : 0;
                float[] hf = permuteHeads > 0 ? unpermute(v, permuteHeads, (int) shape[0], (int) shape[1]) : v;
                String name = hfName(t.name());
                int cols = (int) shape[shape.length - 1], rows = v.length / cols;
                if (mode == null || shape.length < 2 || cols % group != 0) {
                    entries.add(new Entry(name, "F32", shape, le(hf)));
                    if (ref != null) ref.addTensor(t.name(), GgmlType.F32, t.shape(), v);
                    continue;
                }
                Quantized q = quantize(rt, hf, rows, cols, mode, bits, group);   // experts [E, out, in] as [E·out, in]
                String base = name.substring(0, name.length() - ".weight".length());
                long[] packed = shape.clone(), sShape = shape.clone();
                packed[packed.length - 1] = (long) cols * bits / 32;
                sShape[sShape.length - 1] = cols / group;
                entries.add(new Entry(name, "U32", packed, le(q.words())));
                if (q.scales() != null) {
                    float[] s = q.scales().clone(), b = q.biases().clone();
                    for (int i = 0; i < s.length; i++) {
                        s[i] = bf16(s[i]);
                        b[i] = bf16(b[i]);
                    }
                    q = new Quantized(q.words(), s, null, b, q.rows(), q.cols(), mode, bits, group);
                    entries.add(new Entry(base + ".scales", "BF16", sShape, leBf16(s)));
                    entries.add(new Entry(base + ".biases", "BF16", sShape, leBf16(b)));
                } else {
                    entries.add(new Entry(base + ".scales", "U8", sShape, bytes(q.scaleBytes())));
                }
                if (ref != null) {
                    float[] d = dequantizeInJava(q);
                    ref.addTensor(t.name(), GgmlType.F32, t.shape(), permuteHeads > 0 ? permute(d, permuteHeads, (int) shape[0], (int) shape[1]) : d);
                }
            }
        }
        // several files, as large models come
        int half = entries.size() / 2;
        writeSafetensors(dir.resolve("model-00001-of-00002.safetensors"), entries.subList(0, half));
        writeSafetensors(dir.resolve("model-00002-of-00002.safetensors"), entries.subList(half, entries.size()));
        Files.writeString(dir.resolve("config.json"), config(file, mode, bits, group));
        Files.writeString(dir.resolve("tokenizer.json"), tokenizer((int) file.integer(arch + ".vocab_size",
                file.tensors().stream().filter(t -> t.name().equals("token_embd.weight")).findFirst().orElseThrow().shape()[1])));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\":\"t2\",\"chat_template\":\"{% for m in messages %}{{ m.content }}{% endfor %}\"}");
        if (ref != null) ref.write(reference);
    }

    /** Hugging Face row order of Q/K from llama.cpp's: rows [heads, d/2, 2] → [heads, 2, d/2]. */
    static float[] unpermute(float[] v, int heads, int rows, int cols) {
        float[] out = new float[v.length];
        int d = rows / heads, half = d / 2;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                    System.arraycopy(v, ((h * d) + i * 2 + j) * cols, out, ((h * d) + j * half + i) * cols, cols);
        return out;
    }

    /** The inverse of {@link #unpermute}: what llama.cpp's converter does. */
    static float[] permute(float[] v, int heads, int rows, int cols) {
        float[] out = new float[v.length];
        int d = rows / heads, half = d / 2;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                    System.arraycopy(v, ((h * d) + j * half + i) * cols, out, ((h * d) + i * 2 + j) * cols, cols);
        return out;
    }

    private static String config(GgufFile f, String mode, int bits, int group) {
        String a = f.architecture();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", "[\"" + switch (a) {
            case "llama" -> "LlamaForCausalLM";
            case "qwen3" -> "Qwen3ForCausalLM";
            default -> "Qwen3MoeForCausalLM";
        } + "\"]");
        c.put("model_type", "\"" + (a.equals("qwen3moe") ? "qwen3_moe" : a) + "\"");
        String[][] keys = {{"hidden_size", "embedding_length"}, {"num_hidden_layers", "block_count"},
                {"num_attention_heads", "attention.head_count"}, {"num_key_value_heads", "attention.head_count_kv"},
                {"head_dim", "attention.key_length"}, {"intermediate_size", "feed_forward_length"},
                {"max_position_embeddings", "context_length"}, {"num_experts", "expert_count"},
                {"num_experts_per_tok", "expert_used_count"}, {"moe_intermediate_size", "expert_feed_forward_length"}};
        for (String[] k : keys) {
            Object v = f.metadata().get(a + "." + k[1]);
            if (v != null) c.put(k[0], String.valueOf(v));
        }
        c.put("rms_norm_eps", String.format(Locale.ROOT, "%s", ((Number) f.metadata().get(a + ".attention.layer_norm_rms_epsilon")).floatValue()));
        Object theta = f.metadata().get(a + ".rope.freq_base");
        if (theta != null) c.put("rope_theta", String.valueOf(((Number) theta).floatValue()));
        c.put("tie_word_embeddings", String.valueOf(f.tensors().stream().noneMatch(t -> t.name().equals("output.weight"))));
        if (mode != null) {
            String q = "{\"group_size\": " + group + ", \"bits\": " + bits + ", \"mode\": \"" + mode + "\"}";
            c.put("quantization", q);
            c.put("quantization_config", q);
        }
        StringBuilder b = new StringBuilder("{");
        c.forEach((k, v) -> b.append(b.length() > 1 ? ",\n" : "\n").append("  \"").append(k).append("\": ").append(v));
        return b.append("\n}\n").toString();
    }

    /** A byte-level BPE tokenizer.json of {@code n} tokens t0..t(n-1), no merges: enough to load; the tests feed ids. */
    private static String tokenizer(long n) {
        StringBuilder b = new StringBuilder("{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":null,"
                + "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"BPE\",\"vocab\":{");
        for (long i = 0; i < n; i++) b.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":").append(i);
        return b.append("},\"merges\":[]}}").toString();
    }
}
