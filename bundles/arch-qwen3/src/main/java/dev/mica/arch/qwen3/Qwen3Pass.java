package dev.mica.arch.qwen3;

import dev.mica.api.arch.ArchitectureException;
import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.ModelConfig;
import dev.mica.api.arch.Rope;
import dev.mica.api.arch.StateLayout;
import dev.mica.api.arch.Step;
import dev.mica.api.arch.Tensor;
import dev.mica.api.arch.TensorOps;
import dev.mica.api.arch.TopK;
import dev.mica.api.arch.Weights;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The Qwen3 block, shared by the dense and the mixture-of-experts models, which differ only in
 * their feed-forward: Llama's block with RMS norms on each query and key head before a NeoX-style
 * rotation, and head sizes of their own ({@code attention.key_length}).
 */
final class Qwen3Pass implements ForwardPass {
    private sealed interface FeedForward {}

    private record Dense(Tensor gate, Tensor up, Tensor down) implements FeedForward {}

    /** Expert tensors stacked [experts, ...]; the router scores experts per token. */
    private record Experts(Tensor router, Tensor gate, Tensor up, Tensor down) implements FeedForward {}

    private record Layer(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor qNorm, Tensor kNorm,
                         Tensor ffnNorm, FeedForward ffn) {}

    private final TensorOps ops;
    private final int heads, kvHeads, headDim, vocab, expertsUsed;
    private final float eps, scale;
    private final Rope rope;
    private final Tensor embeddings, outputNorm, output;
    private final List<Layer> layers = new ArrayList<>();
    private final StateLayout state;

    Qwen3Pass(ModelConfig c, Weights w, TensorOps ops, boolean mixtureOfExperts) throws ArchitectureException {
        this.ops = ops;
        int width = c.integer("embedding_length");
        int blocks = c.integer("block_count");
        heads = c.integer("attention.head_count");
        kvHeads = c.integer("attention.head_count_kv", heads);
        headDim = c.integer("attention.key_length", width / heads);
        eps = c.number("attention.layer_norm_rms_epsilon");
        scale = (float) (1.0 / Math.sqrt(headDim));
        rope = new Rope(c.integer("rope.dimension_count", headDim), c.number("rope.freq_base", 1_000_000f), 1f, Rope.Style.NEOX);
        int experts = mixtureOfExperts ? c.integer("expert_count") : 0;
        expertsUsed = mixtureOfExperts ? c.integer("expert_used_count") : 0;
        int expertWidth = mixtureOfExperts ? c.integer("expert_feed_forward_length", c.integer("feed_forward_length") / expertsUsed) : 0;
        embeddings = w.get("token_embd.weight");
        vocab = (int) embeddings.dim(0);
        outputNorm = w.get("output_norm.weight");
        output = w.find("output.weight") != null ? w.get("output.weight") : embeddings;
        for (int i = 0; i < blocks; i++) {
            String p = "blk." + i + ".";
            FeedForward ffn = mixtureOfExperts
                    ? new Experts(w.get(p + "ffn_gate_inp.weight", experts, width),
                            w.get(p + "ffn_gate_exps.weight", experts, expertWidth, width),
                            w.get(p + "ffn_up_exps.weight", experts, expertWidth, width),
                            w.get(p + "ffn_down_exps.weight", experts, width, expertWidth))
                    : new Dense(w.get(p + "ffn_gate.weight"), w.get(p + "ffn_up.weight"), w.get(p + "ffn_down.weight"));
            layers.add(new Layer(w.get(p + "attn_norm.weight"),
                    w.get(p + "attn_q.weight", (long) heads * headDim, width),
                    w.get(p + "attn_k.weight", (long) kvHeads * headDim, width),
                    w.get(p + "attn_v.weight", (long) kvHeads * headDim, width),
                    w.get(p + "attn_output.weight", width, (long) heads * headDim),
                    w.get(p + "attn_q_norm.weight", headDim), w.get(p + "attn_k_norm.weight", headDim),
                    w.get(p + "ffn_norm.weight"), ffn));
        }
        state = new StateLayout(Collections.nCopies(blocks, new StateLayout.Attention(kvHeads, headDim, headDim)));
    }

    @Override
    public StateLayout state() {
        return state;
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public Tensor forward(Step step) {
        return ops.matmul(hiddenStates(step), output);
    }

    @Override
    public Tensor hiddenStates(Step step) {
        int n = step.size();
        Tensor x = ops.embed(embeddings, step.tokens());
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            Tensor h = ops.rmsNorm(x, l.attnNorm(), eps);
            Tensor q = ops.rmsNorm(ops.reshape(ops.matmul(h, l.wq()), n, heads, headDim), l.qNorm(), eps);
            Tensor k = ops.rmsNorm(ops.reshape(ops.matmul(h, l.wk()), n, kvHeads, headDim), l.kNorm(), eps);
            Tensor v = ops.reshape(ops.matmul(h, l.wv()), n, kvHeads, headDim);
            q = ops.rope(q, step.positions(), rope, null);
            k = ops.rope(k, step.positions(), rope, null);
            x = ops.add(x, ops.matmul(ops.attention(step, i, q, k, v, scale), l.wo()));

            h = ops.rmsNorm(x, l.ffnNorm(), eps);
            x = ops.add(x, switch (l.ffn()) {
                case Dense d -> ops.matmul(ops.mul(ops.silu(ops.matmul(h, d.gate())), ops.matmul(h, d.up())), d.down());
                case Experts e -> experts(h, e);
            });
        }
        x = ops.rows(x, step.outputs());
        return ops.rmsNorm(x, outputNorm, eps);
    }

    /**
     * A softmax router picks {@code expert_used_count} experts per token; their SwiGLU outputs are
     * summed with the router's probabilities renormalized over the chosen ones.
     */
    private Tensor experts(Tensor x, Experts e) {
        TopK top = ops.topK(ops.softmax(ops.matmul(x, e.router())), expertsUsed);
        Tensor weights = ops.div(top.values(), ops.reshape(ops.sum(top.values(), -1), -1, 1));
        Tensor hidden = ops.mul(ops.silu(ops.gatherMatmul(x, e.gate(), top.indices())), ops.gatherMatmul(x, e.up(), top.indices()));
        Tensor out = ops.gatherMatmul(hidden, e.down(), top.indices());           // [tokens, k, width]
        return ops.sum(ops.mul(out, ops.reshape(weights, x.dim(0), expertsUsed, 1)), 1);
    }
}
