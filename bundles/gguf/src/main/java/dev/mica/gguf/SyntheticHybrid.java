package dev.mica.gguf;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Random-weight Qwen3.5 hybrids (gated-delta-net linear attention, every fourth layer full
 * attention), with the metadata llama.cpp's {@code qwen35} loader reads: what prefix caching of a
 * recurrent model is measured on (bench/cache-bench.sh), at a size where compute dominates.
 */
public final class SyntheticHybrid {
    private SyntheticHybrid() {}

    /**
     * The shape. Linear-attention layers have {@code groups} key heads of {@code stateSize} and
     * {@code valueHeads} value heads sharing {@code innerSize}; attention layers have a gated query
     * (twice the heads' width) and partial rotary positions over {@code ropeDims}.
     */
    public record HybridConfig(String name, int nEmbd, int nLayer, int nHead, int nHeadKv, int headDim, int ropeDims, int nFf,
                               int stateSize, int groups, int valueHeads, int innerSize, int convKernel, int nVocab, int contextLength,
                               long seed) {
        public HybridConfig {
            if (nLayer % 4 != 0) throw new IllegalArgumentException("n_layer must be a multiple of the full-attention interval, 4");
            if (innerSize % valueHeads != 0 || valueHeads % groups != 0) throw new IllegalArgumentException("inconsistent linear-attention heads");
        }

        /** Test-sized: 64 wide, 4 layers. */
        public static HybridConfig tiny() {
            return new HybridConfig("mica synthetic qwen35 tiny", 64, 4, 2, 1, 32, 16, 96, 16, 2, 4, 64, 4, 512, 4096, 42);
        }

        /** Qwen3.5-0.8B's layer shapes (1024 wide, 24 layers, 16 key and value heads of 128) with a 512-token vocabulary. */
        public static HybridConfig qwen35Small() {
            return new HybridConfig("mica synthetic qwen35 0.8b shape", 1024, 24, 8, 2, 256, 64, 3584, 128, 16, 16, 2048, 4, 512, 32768, 42);
        }

        int convDim() {
            return 2 * groups * stateSize + innerSize;
        }

        long parameterCount() {
            long e = nEmbd, linear = e * convDim() + e * innerSize + (long) convKernel * convDim() + 2 * e * valueHeads + (long) innerSize * e;
            long attention = e * 2L * nHead * headDim + 2 * e * nHeadKv * headDim + (long) nHead * headDim * e;
            long ffn = 3 * e * nFf;
            return 2L * nVocab * e + nLayer * ffn + nLayer / 4 * (3 * linear + attention);
        }
    }

    public static GgufWriter qwen35(HybridConfig c, GgmlType type) {
        String arch = "qwen35";
        SyntheticModels.Vocab v = SyntheticModels.spmVocab(c.nVocab());
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", arch);
        w.putString("general.type", "model");
        w.putString("general.name", c.name());
        w.putUInt32("general.file_type", switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case Q4_0 -> 2;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("synthetic models are written as F32, F16, BF16, Q8_0 or Q4_0, not " + type);
        });
        if (type.isQuantized()) w.putUInt32("general.quantization_version", 2);
        w.putUInt32(arch + ".context_length", c.contextLength());
        w.putUInt32(arch + ".embedding_length", c.nEmbd());
        w.putUInt32(arch + ".block_count", c.nLayer());
        w.putUInt32(arch + ".feed_forward_length", c.nFf());
        w.putUInt32(arch + ".attention.head_count", c.nHead());
        w.putUInt32(arch + ".attention.head_count_kv", c.nHeadKv());
        w.putUInt32(arch + ".attention.key_length", c.headDim());
        w.putUInt32(arch + ".attention.value_length", c.headDim());
        w.putFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-6f);
        w.putUInt32(arch + ".rope.dimension_count", c.ropeDims());
        int section = c.ropeDims() / 8;
        w.putArray(arch + ".rope.dimension_sections", GgufValueType.INT32, List.of(3 * section, 3 * section, 2 * section, 0));
        w.putFloat32(arch + ".rope.freq_base", 10_000_000f);
        w.putUInt32(arch + ".full_attention_interval", 4);
        w.putUInt32(arch + ".ssm.conv_kernel", c.convKernel());
        w.putUInt32(arch + ".ssm.state_size", c.stateSize());
        w.putUInt32(arch + ".ssm.group_count", c.groups());
        w.putUInt32(arch + ".ssm.time_step_rank", c.valueHeads());
        w.putUInt32(arch + ".ssm.inner_size", c.innerSize());
        w.putUInt32(arch + ".vocab_size", c.nVocab());
        w.putString("tokenizer.ggml.model", v.model());
        w.putString("tokenizer.ggml.pre", v.pre());
        w.putStrings("tokenizer.ggml.tokens", v.tokens());
        w.putFloats("tokenizer.ggml.scores", v.scores());
        w.putInts("tokenizer.ggml.token_type", v.types());
        w.putUInt32("tokenizer.ggml.bos_token_id", v.bos());
        w.putUInt32("tokenizer.ggml.eos_token_id", v.eos());
        w.putUInt32("tokenizer.ggml.unknown_token_id", v.unk());
        w.putBool("tokenizer.ggml.add_bos_token", true);

        long e = c.nEmbd(), seed = c.seed();
        SyntheticModels.addWeight(w, seed, "token_embd.weight", type, new long[] {e, c.nVocab()}, 1f);
        SyntheticModels.addNorm(w, seed, "output_norm.weight", e);
        SyntheticModels.addWeight(w, seed, "output.weight", type, new long[] {e, c.nVocab()}, SyntheticModels.scale(e));
        long headV = c.innerSize() / c.valueHeads();
        for (int i = 0; i < c.nLayer(); i++) {
            String p = "blk." + i + ".";
            SyntheticModels.addNorm(w, seed, p + "attn_norm.weight", e);
            SyntheticModels.addNorm(w, seed, p + "post_attention_norm.weight", e);
            if ((i + 1) % 4 != 0) {
                SyntheticModels.addWeight(w, seed, p + "attn_qkv.weight", type, new long[] {e, c.convDim()}, SyntheticModels.scale(e));
                SyntheticModels.addWeight(w, seed, p + "attn_gate.weight", type, new long[] {e, c.innerSize()}, SyntheticModels.scale(e));
                // the convolution, time steps and decay stay F32: llama.cpp's recurrent ops read them so
                SyntheticModels.addWeight(w, seed, p + "ssm_conv1d.weight", GgmlType.F32, new long[] {c.convKernel(), c.convDim()}, 0.5f);
                SyntheticModels.addWeight(w, seed, p + "ssm_dt.bias", GgmlType.F32, new long[] {c.valueHeads()}, 0.5f);
                w.addTensor(p + "ssm_a", GgmlType.F32, new long[] {c.valueHeads()}, TensorData.rows((row, dst) -> {
                    for (int h = 0; h < dst.length; h++) dst[h] = -(float) Math.exp(((h * 7919 + 13) % 17) / 8.0 - 1);   // -exp(A_log), A_log in [-1, 1]
                }));
                SyntheticModels.addWeight(w, seed, p + "ssm_beta.weight", type, new long[] {e, c.valueHeads()}, SyntheticModels.scale(e));
                SyntheticModels.addWeight(w, seed, p + "ssm_alpha.weight", type, new long[] {e, c.valueHeads()}, SyntheticModels.scale(e));
                SyntheticModels.addNorm(w, seed, p + "ssm_norm.weight", headV);
                SyntheticModels.addWeight(w, seed, p + "ssm_out.weight", type, new long[] {c.innerSize(), e}, SyntheticModels.scale(c.innerSize()));
            } else {
                long q = (long) c.nHead() * c.headDim(), kv = (long) c.nHeadKv() * c.headDim();
                SyntheticModels.addWeight(w, seed, p + "attn_q.weight", type, new long[] {e, 2 * q}, SyntheticModels.scale(e));
                SyntheticModels.addWeight(w, seed, p + "attn_k.weight", type, new long[] {e, kv}, SyntheticModels.scale(e));
                SyntheticModels.addWeight(w, seed, p + "attn_v.weight", type, new long[] {e, kv}, SyntheticModels.scale(e));
                SyntheticModels.addWeight(w, seed, p + "attn_output.weight", type, new long[] {q, e}, SyntheticModels.scale(q));
                SyntheticModels.addNorm(w, seed, p + "attn_q_norm.weight", c.headDim());
                SyntheticModels.addNorm(w, seed, p + "attn_k_norm.weight", c.headDim());
            }
            SyntheticModels.addWeight(w, seed, p + "ffn_gate.weight", type, new long[] {e, c.nFf()}, SyntheticModels.scale(e));
            SyntheticModels.addWeight(w, seed, p + "ffn_up.weight", type, new long[] {e, c.nFf()}, SyntheticModels.scale(e));
            SyntheticModels.addWeight(w, seed, p + "ffn_down.weight", type, new long[] {c.nFf(), e}, SyntheticModels.scale(c.nFf()));
        }
        return w;
    }

    /** The command line's {@code --preset qwen35-…} branch of {@link SyntheticModels#main}. */
    static int run(Map<String, String> o, PrintStream out, PrintStream err) {
        HybridConfig c = switch (o.get("preset")) {
            case "qwen35-tiny" -> HybridConfig.tiny();
            case "qwen35-0.8b" -> HybridConfig.qwen35Small();
            default -> throw new IllegalArgumentException("unknown preset '" + o.get("preset") + "' (qwen35-tiny, qwen35-0.8b)");
        };
        GgmlType type = GgmlType.valueOf(o.getOrDefault("type", "q8_0").toUpperCase(Locale.ROOT));
        Path path = Path.of(o.get("out"));
        long t0 = System.nanoTime();
        try {
            long bytes = qwen35(c, type).write(path);
            out.printf(Locale.ROOT, "wrote %s: qwen35 %s, %d params, n_embd %d, n_layer %d, %.1f MiB in %.1f s%n", path, type, c.parameterCount(),
                    c.nEmbd(), c.nLayer(), bytes / 1048576.0, (System.nanoTime() - t0) / 1e9);
            return 0;
        } catch (IOException e) {
            err.println("error: writing " + path + ": " + e.getMessage());
            return 1;
        }
    }
}
