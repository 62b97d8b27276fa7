package dev.mica.mlx;

import dev.mica.api.arch.Tensor;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ProgressListener;
import dev.mica.mlx.ffm.Mlx;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An MLX-format model folder (as mlx-community publishes them) in MLX arrays: Hugging Face tensor
 * names mapped to the GGUF names the architectures ask for, and config.json mapped to GGUF keys.
 * Quantized linears (weight, scales, biases in MLX's own packed layout) are taken as they are, so
 * matmuls run through {@code mlx_quantized_matmul} in the file's mode (affine, mxfp4, mxfp8, nvfp4).
 */
final class MlxSafetensorsWeights implements MlxLoadedWeights {
    /** Hugging Face suffixes within a layer → GGUF names within {@code blk.N.}. */
    private static final Map<String, String> LAYER_NAMES = Map.ofEntries(
            Map.entry("input_layernorm", "attn_norm"), Map.entry("post_attention_layernorm", "ffn_norm"),
            Map.entry("self_attn.q_proj", "attn_q"), Map.entry("self_attn.k_proj", "attn_k"),
            Map.entry("self_attn.v_proj", "attn_v"), Map.entry("self_attn.o_proj", "attn_output"),
            Map.entry("self_attn.q_norm", "attn_q_norm"), Map.entry("self_attn.k_norm", "attn_k_norm"),
            Map.entry("mlp.gate_proj", "ffn_gate"), Map.entry("mlp.up_proj", "ffn_up"), Map.entry("mlp.down_proj", "ffn_down"),
            // mlx-lm stacks MoE experts into switch_mlp; the router is mlp.gate
            Map.entry("mlp.gate", "ffn_gate_inp"), Map.entry("mlp.switch_mlp.gate_proj", "ffn_gate_exps"),
            Map.entry("mlp.switch_mlp.up_proj", "ffn_up_exps"), Map.entry("mlp.switch_mlp.down_proj", "ffn_down_exps"));
    private static final Map<String, String> TOP_NAMES = Map.of("model.embed_tokens", "token_embd", "model.norm", "output_norm",
            "lm_head", "output");
    static final Set<String> MODES = Set.of("affine", "mxfp4", "mxfp8", "nvfp4");

    private final String architecture;
    private final Map<String, Object> metadata;
    private final Mlx mlx;
    private final Map<String, MlxTensor> tensors = new HashMap<>();
    private long bytes;
    private String fileType = "f32";

    private MlxSafetensorsWeights(String architecture, Map<String, Object> metadata, Mlx mlx) {
        this.architecture = architecture;
        this.metadata = metadata;
        this.mlx = mlx;
    }

    /**
     * config.json's fields under the GGUF keys the architectures read. {@code prefix} is the
     * architecture's GGUF name ("llama", "qwen3").
     */
    static Map<String, Object> metadata(String prefix, Map<String, Object> config) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("general.architecture", prefix);
        String[][] keys = {{"hidden_size", "embedding_length"}, {"num_hidden_layers", "block_count"},
                {"num_attention_heads", "attention.head_count"}, {"num_key_value_heads", "attention.head_count_kv"},
                {"head_dim", "attention.key_length"}, {"head_dim", "attention.value_length"},
                {"rms_norm_eps", "attention.layer_norm_rms_epsilon"}, {"rope_theta", "rope.freq_base"},
                {"intermediate_size", "feed_forward_length"}, {"max_position_embeddings", "context_length"},
                {"vocab_size", "vocab_size"}, {"num_experts", "expert_count"}, {"num_experts_per_tok", "expert_used_count"},
                {"moe_intermediate_size", "expert_feed_forward_length"}};
        for (String[] k : keys) {
            if (config.get(k[0]) instanceof Number n) m.put(prefix + "." + k[1], n);
        }
        if (config.get("rope_scaling") instanceof Map<?, ?> rs) {
            Object type = rs.get("rope_type") != null ? rs.get("rope_type") : rs.get("type");
            if (type instanceof String t) m.put(prefix + ".rope.scaling.type", t);
            if (rs.get("factor") instanceof Number f) m.put(prefix + ".rope.scaling.factor", f);
        }
        return m;
    }

    /**
     * Reads every tensor of these files into MLX; on the MLX thread. Frees what it made when it
     * fails. {@code metadata}: {@link #metadata}'s keys and what else the folder tells.
     */
    static MlxSafetensorsWeights load(String prefix, Map<String, Object> config, Map<String, Object> metadata, List<Path> files, Mlx mlx,
                                      ProgressListener progress) throws BackendException {
        MlxSafetensorsWeights w = new MlxSafetensorsWeights(prefix, metadata, mlx);
        Map<?, ?> quant = config.get("quantization") instanceof Map<?, ?> q ? q
                : config.get("quantization_config") instanceof Map<?, ?> q2 ? q2 : null;
        try {
            List<Safetensors> headers = new ArrayList<>();
            Map<String, Safetensors.Entry> entries = new HashMap<>();
            Map<String, Safetensors> owner = new HashMap<>();
            for (Path f : files) {
                Safetensors s = Safetensors.read(f);
                headers.add(s);
                for (Safetensors.Entry e : s.tensors()) {
                    if (entries.put(e.name(), e) != null) throw new BackendException("tensor " + e.name() + " is in more than one file");
                    owner.put(e.name(), s);
                }
            }
            String rule = "";
            try (Arena arena = Arena.ofConfined()) {
                Map<Safetensors, MemorySegment> mapped = new HashMap<>();
                for (Safetensors s : headers) {
                    try (FileChannel ch = FileChannel.open(s.path(), StandardOpenOption.READ)) {
                        // the size read with the header: a file cut since then is not read past
                        mapped.put(s, ch.map(FileChannel.MapMode.READ_ONLY, 0, s.fileSize(), arena));
                    }
                }
                int done = 0;
                for (Safetensors.Entry e : entries.values()) {
                    done++;
                    String name = e.name();
                    if (name.endsWith(".global_scale")) {
                        // silently dropping it would scale every weight of that linear wrongly
                        throw new BackendException("tensor " + name + ": NVFP4 global scales are not read by the mlx backend yet");
                    }
                    if (!name.endsWith(".weight") && !name.endsWith(".bias")) continue;   // scales/biases go with their weight
                    String base = name.substring(0, name.lastIndexOf('.'));
                    String gguf = ggufName(base);
                    if (gguf == null) continue;   // rotary inverse frequencies and the like: not model weights here
                    MemorySegment data = mapped.get(owner.get(name));
                    Safetensors.Entry scales = name.endsWith(".weight") ? entries.get(base + ".scales") : null;
                    MlxTensor t;
                    if (scales == null) {
                        t = w.plain(e, data);
                    } else {
                        QuantSpec spec = QuantSpec.of(quant, base);
                        rule = spec.mode() + "-" + spec.bits() + "bit";
                        Safetensors.Entry biases = entries.get(base + ".biases");
                        t = w.quantized(e, data, scales, mapped.get(owner.get(base + ".scales")), biases,
                                biases == null ? null : mapped.get(owner.get(base + ".biases")), spec);
                    }
                    String key = gguf + name.substring(base.length());
                    w.tensors.put(key, t);
                    if (prefix.equals("llama") && (base.endsWith("self_attn.q_proj") || base.endsWith("self_attn.k_proj"))) {
                        Object heads = config.get(base.endsWith("k_proj") && config.containsKey("num_key_value_heads")
                                ? "num_key_value_heads" : "num_attention_heads");
                        if (!(heads instanceof Number h) || h.intValue() <= 0) throw new BackendException("config.json has no head count");
                        w.tensors.put(key, w.ropePermuted(t, h.intValue()));
                    }
                    progress.progress(0.1 + 0.9 * done / entries.size());
                }
            }
            if (!rule.isEmpty()) w.fileType = "mlx-" + rule;
            float[] factors = llama3RopeFactors(config);
            if (factors != null) {
                w.tensors.put("rope_freqs.weight", new MlxTensor(mlx.array(MemorySegment.ofArray(factors), new int[] {factors.length}, Mlx.FLOAT32),
                        new long[] {factors.length}, "f32"));
            }
            return w;
        } catch (IOException e) {
            w.close();
            throw new BackendException(e.getMessage(), e);
        } catch (BackendException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /**
     * Llama 3's rope scaling ({@code rope_type: llama3}) as the per-frequency divisors that GGUF files
     * carry in {@code rope_freqs.weight} (computed as llama.cpp's converter does), or null when the
     * config has none. Hugging Face files have no such tensor: the config says it all.
     */
    static float[] llama3RopeFactors(Map<String, Object> config) {
        if (!(config.get("rope_scaling") instanceof Map<?, ?> rs)) return null;
        Object type = rs.get("rope_type") != null ? rs.get("rope_type") : rs.get("type");
        if (!"llama3".equals(type)) return null;
        double base = config.get("rope_theta") instanceof Number n ? n.doubleValue() : 10000;
        int dim = config.get("head_dim") instanceof Number n ? n.intValue()
                : ((Number) config.get("hidden_size")).intValue() / ((Number) config.get("num_attention_heads")).intValue();
        double factor = rs.get("factor") instanceof Number n ? n.doubleValue() : 8;
        double low = rs.get("low_freq_factor") instanceof Number n ? n.doubleValue() : 1;
        double high = rs.get("high_freq_factor") instanceof Number n ? n.doubleValue() : 4;
        double old = rs.get("original_max_position_embeddings") instanceof Number n ? n.doubleValue() : 8192;
        float[] out = new float[dim / 2];
        for (int i = 0; i < out.length; i++) {
            double freq = 1 / Math.pow(base, (float) (2 * i) / dim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < old / high) out[i] = 1;
            else if (wavelen > old / low) out[i] = (float) factor;
            else {
                double smooth = (old / wavelen - low) / (high - low);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }

    /** The GGUF name of a Hugging Face tensor name without its suffix, or null for one no architecture reads. */
    static String ggufName(String base) {
        String top = TOP_NAMES.get(base);
        if (top != null) return top;
        String p = "model.layers.";
        if (!base.startsWith(p)) return null;
        int dot = base.indexOf('.', p.length());
        if (dot < 0) return null;
        String layer = base.substring(p.length(), dot);
        if (!layer.chars().allMatch(Character::isDigit) || layer.isEmpty() || layer.length() > 6) return null;
        String rest = LAYER_NAMES.get(base.substring(dot + 1));
        return rest == null ? null : "blk." + Integer.parseInt(layer) + "." + rest;
    }

    /** group size, bits and mode of one quantized linear: a per-layer entry of the config, else its defaults. */
    record QuantSpec(int groupSize, int bits, String mode) {
        static QuantSpec of(Map<?, ?> quant, String base) throws BackendException {
            if (quant == null) throw new BackendException(base + " has scales but config.json has no quantization section");
            Map<?, ?> own = quant.get(base) instanceof Map<?, ?> m ? m : quant;
            String mode = own.get("mode") instanceof String s ? s : quant.get("mode") instanceof String s2 ? s2 : "affine";
            if (!MODES.contains(mode)) throw new BackendException(base + " is quantized as '" + mode + "'; the mlx backend reads " + MODES);
            int dGroup = switch (mode) { case "nvfp4" -> 16; case "mxfp4", "mxfp8" -> 32; default -> 64; };
            int dBits = mode.equals("mxfp8") ? 8 : 4;
            int group = own.get("group_size") instanceof Number n ? n.intValue() : quant.get("group_size") instanceof Number n2 ? n2.intValue() : dGroup;
            int bits = own.get("bits") instanceof Number n ? n.intValue() : quant.get("bits") instanceof Number n2 ? n2.intValue() : dBits;
            if (bits < 2 || bits > 8 || group <= 0 || group > 4096) throw new BackendException(base + ": bad quantization " + bits + " bits, group " + group);
            return new QuantSpec(group, bits, mode);
        }
    }

    private static int dtype(Safetensors.Entry e) throws BackendException {
        return switch (e.dtype()) {
            case "F32" -> Mlx.FLOAT32;
            case "F16" -> Mlx.FLOAT16;
            case "BF16" -> Mlx.BFLOAT16;
            case "U32" -> Mlx.UINT32;
            case "U8" -> Mlx.UINT8;
            case "I32" -> Mlx.INT32;
            default -> throw new BackendException("tensor " + e.name() + " is " + e.dtype() + ", which the mlx backend does not read");
        };
    }

    /** The entry as an MLX array; half floats become float32 (see {@link MlxWeights}). */
    private MemorySegment array(Safetensors.Entry e, MemorySegment file, boolean widen) throws BackendException {
        int dt = dtype(e);
        int[] shape = new int[e.shape().length];
        for (int i = 0; i < shape.length; i++) shape[i] = Math.toIntExact(e.shape()[i]);
        bytes += e.bytes();
        MemorySegment a = mlx.array(file.asSlice(e.offset(), e.bytes()), shape, dt);
        if (!widen || (dt != Mlx.FLOAT16 && dt != Mlx.BFLOAT16)) return a;
        MemorySegment f32 = mlx.op("mlx_astype", a, Mlx.FLOAT32);
        mlx.free(a);
        mlx.eval(List.of(f32));
        return f32;
    }

    private MlxTensor plain(Safetensors.Entry e, MemorySegment file) throws BackendException {
        if (e.dtype().equals("U32") || e.dtype().equals("U8")) {
            throw new BackendException("tensor " + e.name() + " is packed (" + e.dtype() + ") but has no scales");
        }
        if (!e.dtype().equals("F32")) fileType = e.dtype().toLowerCase();
        return new MlxTensor(array(e, file, true), e.shape().clone(), "f32");
    }

    private MlxTensor quantized(Safetensors.Entry w, MemorySegment wFile, Safetensors.Entry s, MemorySegment sFile,
                                Safetensors.Entry b, MemorySegment bFile, QuantSpec spec) throws BackendException {
        long[] packed = w.shape();
        if (!w.dtype().equals("U32") || packed.length < 2) throw new BackendException("quantized " + w.name() + " is not uint32 [.., out, in/pack]");
        long cols = packed[packed.length - 1] * 32 / spec.bits();
        long[] dims = packed.clone();
        dims[dims.length - 1] = cols;
        long[] sShape = s.shape();
        if (cols % spec.groupSize() != 0 || sShape.length != packed.length || sShape[sShape.length - 1] != cols / spec.groupSize()) {
            throw new BackendException(w.name() + ": " + java.util.Arrays.toString(sShape) + " scales do not fit " + java.util.Arrays.toString(dims)
                    + " in groups of " + spec.groupSize());
        }
        if (spec.mode().equals("affine") == (b == null)) {
            throw new BackendException(w.name() + ": mode " + spec.mode() + (b == null ? " needs" : " has no") + " biases");
        }
        if (!spec.mode().equals("affine") && !s.dtype().equals("U8")) throw new BackendException(w.name() + ": " + spec.mode() + " scales must be U8");
        MemorySegment wa = array(w, wFile, false), sa = null, ba = null;
        try {
            sa = array(s, sFile, true);
            ba = b == null ? null : array(b, bFile, true);
        } catch (BackendException | RuntimeException e) {
            mlx.free(wa);
            mlx.free(sa);
            throw e;
        }
        return new MlxTensor(wa, dims, "mlx-" + spec.mode() + spec.bits(), new MlxTensor.Quant(sa, ba, spec.groupSize(), spec.bits(), spec.mode()));
    }

    /**
     * Llama's Q and K rows reordered as llama.cpp's converter does: Hugging Face rotates halves
     * (NEOX), the llama architecture here pairs neighbours as GGUF files do. Scales and biases
     * follow their rows, so quantized weights stay as they are inside each row.
     */
    private MlxTensor ropePermuted(MlxTensor t, int heads) {
        MlxTensor.Quant q = t.quant();
        List<MemorySegment> old = new ArrayList<>(List.of(t.array()));
        if (q != null) {
            old.add(q.scales());
            if (q.biases() != null) old.add(q.biases());
        }
        List<MemorySegment> made = new ArrayList<>();
        try {
            for (MemorySegment a : old) made.add(permuteRows(a, heads));
        } catch (RuntimeException e) {
            made.forEach(mlx::free);   // the originals stay with the caller, who frees them
            throw e;
        }
        old.forEach(mlx::free);
        if (q == null) return new MlxTensor(made.get(0), t.dims(), t.type());
        return new MlxTensor(made.get(0), t.dims(), t.type(),
                new MlxTensor.Quant(made.get(1), q.biases() == null ? null : made.get(2), q.groupSize(), q.bits(), q.mode()));
    }

    /** rows [heads, 2, d/2] → [heads, d/2, 2], as a new array. */
    private MemorySegment permuteRows(MemorySegment a, int heads) {
        int[] shape = mlx.shape(a);
        if (shape[0] % (2 * heads) != 0) throw new IllegalArgumentException(shape[0] + " rows do not split into " + heads + " heads of pairs");
        int[] split = new int[shape.length + 2];
        split[0] = heads;
        split[1] = 2;
        split[2] = shape[0] / heads / 2;
        System.arraycopy(shape, 1, split, 3, shape.length - 1);
        List<MemorySegment> temp = new ArrayList<>();
        try {
            MemorySegment r = mlx.op("mlx_reshape", a, mlx.scratchInts(split), (long) split.length);
            temp.add(r);
            MemorySegment s = mlx.op("mlx_swapaxes", r, 1, 2);
            temp.add(s);
            MemorySegment c = mlx.op("mlx_contiguous", s, false);
            temp.add(c);
            MemorySegment back = mlx.op("mlx_reshape", c, mlx.scratchInts(shape), (long) shape.length);
            try {
                mlx.eval(List.of(back));
            } catch (RuntimeException e) {
                mlx.free(back);
                throw e;
            }
            return back;
        } finally {
            temp.forEach(mlx::free);
        }
    }

    String fileType() {
        return fileType;
    }

    long parameterCount() {
        long n = 0;
        for (MlxTensor t : tensors.values()) {
            long c = 1;
            for (long d : t.dims()) c *= d;
            n += c;
        }
        return n;
    }

    @Override
    public long bytes() {
        return bytes;
    }

    @Override
    public String architecture() {
        return architecture;
    }

    @Override
    public Map<String, Object> metadata() {
        return metadata;
    }

    @Override
    public Tensor find(String name) {
        return tensors.get(name);
    }

    @Override
    public void close() {
        for (MlxTensor t : tensors.values()) t.free(mlx);
        tensors.clear();
    }
}
