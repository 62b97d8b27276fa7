package dev.mica.arch.qwen3;

import dev.mica.api.arch.ArchitectureException;
import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.ModelArchitecture;
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
import org.osgi.service.component.annotations.Component;

/**
 * Qwen3-MoE (Qwen3-30B-A3B, 235B-A22B): Qwen3's attention, and a mixture of experts in place of
 * the feed-forward: a softmax router picks {@code expert_used_count} experts per token, whose
 * SwiGLU outputs are summed with the router's probabilities renormalized over the chosen ones
 * (llama.cpp's {@code models/qwen3moe.cpp}, mlx-lm's {@code models/qwen3_moe.py}).
 */
@Component(property = {ModelArchitecture.NAMES_PROPERTY + "=qwen3moe", ModelArchitecture.NAMES_PROPERTY + "=Qwen3MoeForCausalLM"})
public final class Qwen3Moe implements ModelArchitecture {

    @Override
    public List<String> names() {
        return List.of("qwen3moe", "Qwen3MoeForCausalLM");
    }

    @Override
    public ForwardPass build(ModelConfig config, Weights weights, TensorOps ops) throws ArchitectureException {
        return new Pass(config, weights, ops);
    }

    private record Layer(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor qNorm, Tensor kNorm,
                         Tensor ffnNorm, Tensor router, Tensor gate, Tensor up, Tensor down) {}

    private static final class Pass implements ForwardPass {
        private final TensorOps ops;
        private final int heads, kvHeads, headDim, vocab, expertsUsed;
        private final float eps, scale;
        private final Rope rope;
        private final Tensor embeddings, outputNorm, output;
        private final List<Layer> layers = new ArrayList<>();
        private final StateLayout state;

        Pass(ModelConfig c, Weights w, TensorOps ops) throws ArchitectureException {
            this.ops = ops;
            int width = c.integer("embedding_length");
            int blocks = c.integer("block_count");
            heads = c.integer("attention.head_count");
            kvHeads = c.integer("attention.head_count_kv", heads);
            headDim = c.integer("attention.key_length", width / heads);
            eps = c.number("attention.layer_norm_rms_epsilon");
            scale = (float) (1.0 / Math.sqrt(headDim));
            rope = new Rope(c.integer("rope.dimension_count", headDim), c.number("rope.freq_base", 1_000_000f), 1f, Rope.Style.NEOX);
            int experts = c.integer("expert_count");
            expertsUsed = c.integer("expert_used_count");
            int expertWidth = c.integer("expert_feed_forward_length", c.integer("feed_forward_length") / expertsUsed);
            embeddings = w.get("token_embd.weight");
            vocab = (int) embeddings.dim(0);
            outputNorm = w.get("output_norm.weight");
            output = w.find("output.weight") != null ? w.get("output.weight") : embeddings;
            for (int i = 0; i < blocks; i++) {
                String p = "blk." + i + ".";
                layers.add(new Layer(w.get(p + "attn_norm.weight"),
                        w.get(p + "attn_q.weight", (long) heads * headDim, width),
                        w.get(p + "attn_k.weight", (long) kvHeads * headDim, width),
                        w.get(p + "attn_v.weight", (long) kvHeads * headDim, width),
                        w.get(p + "attn_output.weight", width, (long) heads * headDim),
                        w.get(p + "attn_q_norm.weight", headDim), w.get(p + "attn_k_norm.weight", headDim),
                        w.get(p + "ffn_norm.weight"),
                        w.get(p + "ffn_gate_inp.weight", experts, width),
                        w.get(p + "ffn_gate_exps.weight", experts, expertWidth, width),
                        w.get(p + "ffn_up_exps.weight", experts, expertWidth, width),
                        w.get(p + "ffn_down_exps.weight", experts, width, expertWidth)));
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

                x = ops.add(x, experts(ops.rmsNorm(x, l.ffnNorm(), eps), l));
            }
            x = ops.rows(x, step.outputs());
            return ops.matmul(ops.rmsNorm(x, outputNorm, eps), output);
        }

        private Tensor experts(Tensor x, Layer l) {
            TopK top = ops.topK(ops.softmax(ops.matmul(x, l.router())), expertsUsed);
            Tensor weights = ops.div(top.values(), ops.reshape(ops.sum(top.values(), -1), -1, 1));
            Tensor hidden = ops.mul(ops.silu(ops.gatherMatmul(x, l.gate(), top.indices())), ops.gatherMatmul(x, l.up(), top.indices()));
            Tensor out = ops.gatherMatmul(hidden, l.down(), top.indices());           // [tokens, k, width]
            return ops.sum(ops.mul(out, ops.reshape(weights, x.dim(0), expertsUsed, 1)), 1);
        }
    }
}
