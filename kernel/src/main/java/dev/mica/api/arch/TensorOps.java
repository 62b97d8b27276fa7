package dev.mica.api.arch;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The op set a backend offers architectures: small on purpose, enough for Llama, Qwen3, Qwen3-MoE
 * and Qwen3.5's gated-delta hybrid. Ops return new tensors and never change their inputs (a
 * backend may compute them at once, as the Java backend does, or record them, as MLX does).
 *
 * <p>Shapes are row-major, outermost first (see {@link Tensor}). Activations are F32; weights may
 * be in any type the backend reads ({@link #matmul} and {@link #embed} take them as they are).
 * Elementwise ops broadcast NumPy's way: dimensions are matched from the last, and a dimension of
 * 1, or a missing one, stretches.
 */
@ProviderType
public interface TensorOps {

    // ---------------------------------------------------------------- gathering

    /** Rows of an embedding table {@code [vocab, width]} (any weight type): {@code [tokens.length, width]}. */
    Tensor embed(Tensor table, int[] tokens);

    /** Rows of {@code x} along its first axis, in the order given. */
    Tensor rows(Tensor x, int[] rows);

    // ---------------------------------------------------------------- linear algebra

    /**
     * {@code x · wᵀ}: x {@code [..., in]}, w {@code [out, in]} in any weight type (F32, F16, BF16,
     * Q8_0, Q4_0, Q4_K, Q6_K, ...) → {@code [..., out]}.
     */
    Tensor matmul(Tensor x, Tensor w);

    /**
     * Mixture-of-experts matmul: for each token t and slot j, {@code x[t] · w[experts[t, j]]ᵀ}.
     * x is {@code [tokens, in]} (the same input for every slot) or {@code [tokens, k, in]}; w is an
     * expert stack {@code [experts, out, in]}; experts is {@code [tokens, k]} ("i32", as
     * {@link #topK} gives). Result {@code [tokens, k, out]}.
     */
    Tensor gatherMatmul(Tensor x, Tensor w, Tensor experts);

    // ---------------------------------------------------------------- normalization, position

    /** RMS norm over the last axis, {@code x / sqrt(mean(x²) + eps)}, times {@code weight} (last axis) unless null. */
    Tensor rmsNorm(Tensor x, Tensor weight, float eps);

    /**
     * Rotary embedding of {@code x [tokens, heads, headDim]}, row t rotated by {@code positions[t]}.
     *
     * @param freqFactors null, or a {@code [rope.dims / 2]} F32 tensor dividing each frequency
     *                    (Llama 3's long-context scaling, GGUF {@code rope_freqs.weight})
     */
    Tensor rope(Tensor x, int[] positions, Rope rope, Tensor freqFactors);

    // ---------------------------------------------------------------- per-sequence state

    /**
     * Self-attention of a layer the {@link StateLayout} declares as {@link StateLayout.Attention}:
     * stores this step's keys and values in the backend's KV memory, then lets each row attend to
     * the positions of its own sequence up to its own (causal), or to all of them where the model's
     * file sets {@code attention.causal} false (llama.cpp's rule, for bidirectional embedding models).
     * q {@code [tokens, heads, keyDim]}, k {@code [tokens, kvHeads, keyDim]}, v
     * {@code [tokens, kvHeads, valueDim]}; query head h reads KV head {@code h / (heads / kvHeads)}
     * (grouped-query attention). Result {@code [tokens, heads · valueDim]}.
     */
    Tensor attention(Step step, int layer, Tensor q, Tensor k, Tensor v, float scale);

    /**
     * The causal depthwise convolution of a {@link StateLayout.Recurrent} layer: each channel c of
     * each row sees that channel's last {@code width - 1} inputs of its sequence (kept by the
     * backend, zeros at the start) and itself: {@code out[t, c] = Σ_i kernel[c, i] · in[t - width + 1 + i, c]}.
     * x {@code [tokens, channels]}, kernel {@code [channels, width]}. No activation applied.
     */
    Tensor conv1d(Step step, int layer, Tensor x, Tensor kernel);

    /**
     * One gated delta-rule step per row, on the {@code [heads, keyDim, valueDim]} state of the
     * row's sequence (Gated DeltaNet, Qwen3-Next and Qwen3.5's linear attention):
     * {@code S ← exp(g)·S;  S ← S + k ⊗ β(v − Sᵀk);  out = Sᵀq}.
     * q, k {@code [tokens, kHeads, keyDim]} (normalized and scaled by the caller), v
     * {@code [tokens, heads, valueDim]}, g and beta {@code [tokens, heads]}; value head h reads key
     * head {@code h mod kHeads} (the GGUF order). Result {@code [tokens, heads, valueDim]}.
     */
    Tensor gatedDelta(Step step, int layer, Tensor q, Tensor k, Tensor v, Tensor g, Tensor beta);

    // ---------------------------------------------------------------- elementwise

    Tensor add(Tensor a, Tensor b);

    Tensor sub(Tensor a, Tensor b);

    Tensor mul(Tensor a, Tensor b);

    Tensor div(Tensor a, Tensor b);

    /** {@code x · s}. */
    Tensor scale(Tensor x, float s);

    /** {@code x · sigmoid(x)}. */
    Tensor silu(Tensor x);

    /** GELU, tanh approximation (as ggml and most GGUF models use it). */
    Tensor gelu(Tensor x);

    Tensor sigmoid(Tensor x);

    /** {@code log(1 + exp(x))}. */
    Tensor softplus(Tensor x);

    // ---------------------------------------------------------------- reductions

    /** Softmax over the last axis. */
    Tensor softmax(Tensor x);

    /** The k largest entries along the last axis, descending. */
    TopK topK(Tensor x, int k);

    /** Sum over {@code axis}, which goes away. */
    Tensor sum(Tensor x, int axis);

    // ---------------------------------------------------------------- shape

    /** The same elements in another shape; one dimension may be -1 (inferred). */
    Tensor reshape(Tensor x, long... shape);

    /** Entries {@code [from, to)} along {@code axis} (negative axes count from the end). */
    Tensor slice(Tensor x, int axis, long from, long to);

    /** {@code a} then {@code b} along {@code axis}; other dimensions must agree. */
    Tensor concat(int axis, Tensor a, Tensor b);
}
