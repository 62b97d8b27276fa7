package dev.mica.backend.java.testing;

import dev.mica.gguf.GgmlType;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufTensor;
import dev.mica.gguf.GgufValueType;
import dev.mica.gguf.GgufWriter;
import dev.mica.gguf.SyntheticModels;
import dev.mica.gguf.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random-weight GGUF files of the Qwen architectures, small enough for unit tests, with the
 * metadata llama.cpp reads for them (its loader is the judge: a file it refuses fails the test).
 * Weights are uniform in ±1/√fan-in so activations stay of order one through the layers; shapes
 * are given as GGUF lists them (ne0 first).
 */
public final class ArchModels {
    private ArchModels() {}

    /** Shapes of a Qwen3 / Qwen3-MoE test model: head size differs from width / heads, as in Qwen3. */
    public static GgufWriter qwen3(boolean moe, long seed) {
        String arch = moe ? "qwen3moe" : "qwen3";
        int width = 64, blocks = 2, heads = 4, kvHeads = 2, headDim = 32, ff = 96, experts = 4, used = 2, expertFf = 32;
        Writer w = new Writer(arch, seed, 512);
        w.g.putUInt32(arch + ".context_length", 512);
        w.g.putUInt32(arch + ".embedding_length", width);
        w.g.putUInt32(arch + ".block_count", blocks);
        w.g.putUInt32(arch + ".feed_forward_length", ff);
        w.g.putUInt32(arch + ".attention.head_count", heads);
        w.g.putUInt32(arch + ".attention.head_count_kv", kvHeads);
        w.g.putUInt32(arch + ".attention.key_length", headDim);
        w.g.putUInt32(arch + ".attention.value_length", headDim);
        w.g.putFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-6f);
        w.g.putFloat32(arch + ".rope.freq_base", 1_000_000f);
        if (moe) {
            w.g.putUInt32(arch + ".expert_count", experts);
            w.g.putUInt32(arch + ".expert_used_count", used);
            w.g.putUInt32(arch + ".expert_feed_forward_length", expertFf);
        }
        w.common(width);
        for (int i = 0; i < blocks; i++) {
            String p = "blk." + i + ".";
            w.norm(p + "attn_norm.weight", width);
            w.matrix(p + "attn_q.weight", width, heads * headDim);
            w.matrix(p + "attn_k.weight", width, kvHeads * headDim);
            w.matrix(p + "attn_v.weight", width, kvHeads * headDim);
            w.matrix(p + "attn_output.weight", heads * headDim, width);
            w.norm(p + "attn_q_norm.weight", headDim);
            w.norm(p + "attn_k_norm.weight", headDim);
            w.norm(p + "ffn_norm.weight", width);
            if (moe) {
                w.matrix(p + "ffn_gate_inp.weight", width, experts);
                w.experts(p + "ffn_gate_exps.weight", width, expertFf, experts);
                w.experts(p + "ffn_up_exps.weight", width, expertFf, experts);
                w.experts(p + "ffn_down_exps.weight", expertFf, width, experts);
            } else {
                w.matrix(p + "ffn_gate.weight", width, ff);
                w.matrix(p + "ffn_up.weight", width, ff);
                w.matrix(p + "ffn_down.weight", ff, width);
            }
        }
        return w.g;
    }

    /**
     * A Qwen3.5 test model: four layers, three of linear attention and a full-attention one
     * (llama.cpp's default interval of 4), with twice as many value heads as key heads (so value
     * heads share key heads, as in the real models) and partial rotary positions.
     */
    public static GgufWriter qwen35(boolean moe, long seed) {
        String arch = moe ? "qwen35moe" : "qwen35";
        int width = 64, blocks = 4, heads = 2, kvHeads = 1, headDim = 32, ropeDims = 16, ff = 96;
        int stateSize = 16, groups = 2, vHeads = 4, inner = 64, convKernel = 4, experts = 4, used = 2, expertFf = 32, sharedFf = 48;
        int keyDim = groups * stateSize, convDim = 2 * keyDim + inner, headV = inner / vHeads;
        Writer w = new Writer(arch, seed, 512);
        w.g.putUInt32(arch + ".context_length", 512);
        w.g.putUInt32(arch + ".embedding_length", width);
        w.g.putUInt32(arch + ".block_count", blocks);
        w.g.putUInt32(arch + ".feed_forward_length", ff);
        w.g.putUInt32(arch + ".attention.head_count", heads);
        w.g.putUInt32(arch + ".attention.head_count_kv", kvHeads);
        w.g.putUInt32(arch + ".attention.key_length", headDim);
        w.g.putUInt32(arch + ".attention.value_length", headDim);
        w.g.putFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-6f);
        w.g.putUInt32(arch + ".rope.dimension_count", ropeDims);
        w.g.putArray(arch + ".rope.dimension_sections", GgufValueType.INT32, List.of(3, 3, 2, 0));
        w.g.putFloat32(arch + ".rope.freq_base", 10_000_000f);
        w.g.putUInt32(arch + ".full_attention_interval", 4);
        w.g.putUInt32(arch + ".ssm.conv_kernel", convKernel);
        w.g.putUInt32(arch + ".ssm.state_size", stateSize);
        w.g.putUInt32(arch + ".ssm.group_count", groups);
        w.g.putUInt32(arch + ".ssm.time_step_rank", vHeads);
        w.g.putUInt32(arch + ".ssm.inner_size", inner);
        if (moe) {
            w.g.putUInt32(arch + ".expert_count", experts);
            w.g.putUInt32(arch + ".expert_used_count", used);
            w.g.putUInt32(arch + ".expert_feed_forward_length", expertFf);
            w.g.putUInt32(arch + ".expert_shared_feed_forward_length", sharedFf);
        }
        w.common(width);
        for (int i = 0; i < blocks; i++) {
            String p = "blk." + i + ".";
            w.norm(p + "attn_norm.weight", width);
            w.norm(p + "post_attention_norm.weight", width);
            if ((i + 1) % 4 != 0) {
                w.matrix(p + "attn_qkv.weight", width, convDim);
                w.matrix(p + "attn_gate.weight", width, inner);
                w.uniform(p + "ssm_conv1d.weight", 0.5f, convKernel, convDim);
                w.uniform(p + "ssm_dt.bias", 0.5f, vHeads);
                w.values(p + "ssm_a", vHeads, (r, i2) -> -(float) Math.exp(r.nextDouble(-1, 1)));   // -exp(A_log)
                w.matrix(p + "ssm_beta.weight", width, vHeads);
                w.matrix(p + "ssm_alpha.weight", width, vHeads);
                w.norm(p + "ssm_norm.weight", headV);
                w.matrix(p + "ssm_out.weight", inner, width);
            } else {
                w.matrix(p + "attn_q.weight", width, 2 * heads * headDim);
                w.matrix(p + "attn_k.weight", width, kvHeads * headDim);
                w.matrix(p + "attn_v.weight", width, kvHeads * headDim);
                w.matrix(p + "attn_output.weight", heads * headDim, width);
                w.norm(p + "attn_q_norm.weight", headDim);
                w.norm(p + "attn_k_norm.weight", headDim);
            }
            if (moe) {
                w.matrix(p + "ffn_gate_inp.weight", width, experts);
                w.experts(p + "ffn_gate_exps.weight", width, expertFf, experts);
                w.experts(p + "ffn_up_exps.weight", width, expertFf, experts);
                w.experts(p + "ffn_down_exps.weight", expertFf, width, experts);
                w.uniform(p + "ffn_gate_inp_shexp.weight", (float) (1 / Math.sqrt(width)), width);
                w.matrix(p + "ffn_gate_shexp.weight", width, sharedFf);
                w.matrix(p + "ffn_up_shexp.weight", width, sharedFf);
                w.matrix(p + "ffn_down_shexp.weight", sharedFf, width);
            } else {
                w.matrix(p + "ffn_gate.weight", width, ff);
                w.matrix(p + "ffn_up.weight", width, ff);
                w.matrix(p + "ffn_down.weight", ff, width);
            }
        }
        return w.g;
    }

    /**
     * A copy of a model whose 2-D weights are random blocks of {@code type} (made directly in the
     * block layout, with scales that keep the weights near ±1/√fan-in), for formats no quantizer
     * here writes (MXFP4, NVFP4). Other tensors are copied as they are.
     */
    public static Path withRandomBlocks(Path model, GgmlType type, Path out, long seed) throws IOException {
        GgufFile file = GgufFile.read(model);
        GgufWriter w = new GgufWriter().putAll(file);
        SplittableRandom random = new SplittableRandom(seed);
        try (FileChannel ch = FileChannel.open(model, StandardOpenOption.READ)) {
            for (GgufTensor t : file.tensors()) {
                if (t.dims() < 2) {
                    ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(t.byteSize()));
                    ch.read(bytes, t.offset());
                    w.addTensor(t.name(), t.type(), t.shape(), TensorData.bytes(bytes.array()));
                    continue;
                }
                byte[] data = new byte[Math.toIntExact(type.byteSize(t.shape()))];
                for (int i = 0; i < data.length; i++) data[i] = (byte) random.nextInt(256);
                for (int b = 0; b < data.length; b += type.typeSize()) {
                    switch (type) {
                        case MXFP4 -> data[b] = (byte) (120 + random.nextInt(3));                 // 2^(e-128): 1/256 .. 1/64
                        case NVFP4 -> { for (int k = 0; k < 4; k++) data[b + k] = (byte) (0x08 + random.nextInt(8)); } // (1+m/8)·2^-6 / 2
                        default -> throw new IllegalArgumentException("random blocks of " + type + " are not made here");
                    }
                }
                w.addTensor(t.name(), type, t.shape(), TensorData.bytes(data));
            }
        }
        w.write(out);
        return out;
    }

    public static Path write(GgufWriter w, Path file) throws IOException {
        w.write(file);
        return file;
    }

    @FunctionalInterface
    interface Values {
        float value(SplittableRandom random, int index);
    }

    /** Metadata and tensors with seeded random values (F32, exactly as given). */
    private static final class Writer {
        final GgufWriter g = new GgufWriter();
        final String arch;
        final SplittableRandom random;
        final int vocab;

        Writer(String arch, long seed, int vocab) {
            this.arch = arch;
            this.random = new SplittableRandom(seed);
            this.vocab = vocab;
            g.putString("general.architecture", arch);
            g.putString("general.name", "mica test " + arch);
            g.putUInt32("general.file_type", 0);
        }

        /** Vocabulary (SentencePiece-style, as SyntheticModels writes it), embeddings and the output head. */
        void common(int width) {
            SyntheticModels.Vocab v = SyntheticModels.spmVocab(vocab);
            g.putUInt32(arch + ".vocab_size", vocab);
            g.putString("tokenizer.ggml.model", v.model());
            g.putString("tokenizer.ggml.pre", v.pre());
            g.putStrings("tokenizer.ggml.tokens", v.tokens());
            g.putFloats("tokenizer.ggml.scores", v.scores());
            g.putInts("tokenizer.ggml.token_type", v.types());
            g.putUInt32("tokenizer.ggml.bos_token_id", v.bos());
            g.putUInt32("tokenizer.ggml.eos_token_id", v.eos());
            g.putUInt32("tokenizer.ggml.unknown_token_id", v.unk());
            g.putBool("tokenizer.ggml.add_bos_token", true);
            uniform("token_embd.weight", 1f, width, vocab);
            norm("output_norm.weight", width);
            matrix("output.weight", width, vocab);
        }

        void values(String name, int n, Values f) {
            float[] data = new float[n];
            for (int i = 0; i < n; i++) data[i] = f.value(random, i);
            g.addTensor(name, GgmlType.F32, new long[] {n}, data);
        }

        /** Uniform in ±bound, shape in GGUF order. */
        void uniform(String name, float bound, long... ne) {
            long count = 1;
            for (long d : ne) count *= d;
            float[] data = new float[Math.toIntExact(count)];
            for (int i = 0; i < data.length; i++) data[i] = (float) random.nextDouble(-bound, bound);
            g.addTensor(name, GgmlType.F32, ne, TensorData.of(data));
        }

        void matrix(String name, int in, int out) {
            uniform(name, (float) (1 / Math.sqrt(in)), in, out);
        }

        void experts(String name, int in, int out, int count) {
            uniform(name, (float) (1 / Math.sqrt(in)), in, out, count);
        }

        void norm(String name, int n) {
            values(name, n, (r, i) -> (float) r.nextDouble(0.9, 1.1));
        }
    }
}
