package dev.mica.arch.llama;

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
 * Llama 2 and 3 (and Mistral, and Mixtral's experts): pre-norm blocks of grouped-query attention
 * with rotary positions and a SwiGLU feed-forward, as llama.cpp's {@code models/llama.cpp} and
 * mlx-lm's {@code models/llama.py} compute them.
 */
@Component(property = {ModelArchitecture.NAMES_PROPERTY + "=llama", ModelArchitecture.NAMES_PROPERTY + "=LlamaForCausalLM",
        ModelArchitecture.NAMES_PROPERTY + "=MistralForCausalLM", ModelArchitecture.NAMES_PROPERTY + "=MixtralForCausalLM"})
public final class Llama implements ModelArchitecture {

    @Override
    public List<String> names() {
        return List.of("llama", "LlamaForCausalLM", "MistralForCausalLM", "MixtralForCausalLM");
    }

    @Override
    public ForwardPass build(ModelConfig config, Weights weights, TensorOps ops) throws ArchitectureException {
        return new Pass(config, weights, ops);
    }

    /** One layer's weights; the feed-forward is either dense (gate, up, down) or experts with a router. */
    private record Layer(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor bq, Tensor bk, Tensor bv,
                         Tensor ffnNorm, Tensor gate, Tensor up, Tensor down, Tensor router) {}

    private static final class Pass implements ForwardPass {
        private final TensorOps ops;
        private final int heads, kvHeads, headDim, vocab, expertsUsed;
        private final float eps, scale;
        private final Rope rope;
        private final Tensor embeddings, outputNorm, output, ropeFactors;
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
            float attentionScale = c.number("attention.scale", 0f);
            scale = attentionScale != 0f ? attentionScale : (float) (1.0 / Math.sqrt(headDim));
            String scaling = c.value("rope.scaling.type") instanceof String s ? s : "none";
            float factor = c.number("rope.scaling.factor", 1f);
            rope = new Rope(c.integer("rope.dimension_count", headDim), c.number("rope.freq_base", 10000f),
                    scaling.equals("linear") && factor > 0 ? 1f / factor : 1f, Rope.Style.NORMAL);
            expertsUsed = c.integer("expert_used_count", 0);

            embeddings = w.get("token_embd.weight");
            vocab = (int) embeddings.dim(0);
            outputNorm = w.get("output_norm.weight");
            output = w.find("output.weight") != null ? w.get("output.weight") : embeddings;   // tied embeddings
            ropeFactors = w.find("rope_freqs.weight");
            for (int i = 0; i < blocks; i++) {
                String p = "blk." + i + ".";
                boolean moe = w.find(p + "ffn_gate_inp.weight") != null;
                layers.add(new Layer(w.get(p + "attn_norm.weight"),
                        w.get(p + "attn_q.weight", (long) heads * headDim, width),
                        w.get(p + "attn_k.weight", (long) kvHeads * headDim, width),
                        w.get(p + "attn_v.weight", (long) kvHeads * headDim, width),
                        w.get(p + "attn_output.weight", width, (long) heads * headDim),
                        w.find(p + "attn_q.bias"), w.find(p + "attn_k.bias"), w.find(p + "attn_v.bias"),
                        w.get(p + "ffn_norm.weight"),
                        w.get(p + (moe ? "ffn_gate_exps.weight" : "ffn_gate.weight")),
                        w.get(p + (moe ? "ffn_up_exps.weight" : "ffn_up.weight")),
                        w.get(p + (moe ? "ffn_down_exps.weight" : "ffn_down.weight")),
                        moe ? w.get(p + "ffn_gate_inp.weight") : null));
                if (moe && expertsUsed <= 0) throw new ArchitectureException(c.architecture() + ".expert_used_count is missing");
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
                Tensor q = ops.reshape(bias(ops.matmul(h, l.wq()), l.bq()), n, heads, headDim);
                Tensor k = ops.reshape(bias(ops.matmul(h, l.wk()), l.bk()), n, kvHeads, headDim);
                Tensor v = ops.reshape(bias(ops.matmul(h, l.wv()), l.bv()), n, kvHeads, headDim);
                q = ops.rope(q, step.positions(), rope, ropeFactors);
                k = ops.rope(k, step.positions(), rope, ropeFactors);
                Tensor attention = ops.attention(step, i, q, k, v, scale);
                x = ops.add(x, ops.matmul(attention, l.wo()));

                h = ops.rmsNorm(x, l.ffnNorm(), eps);
                x = ops.add(x, l.router() == null ? feedForward(h, l) : experts(h, l));
            }
            x = ops.rows(x, step.outputs());
            return ops.rmsNorm(x, outputNorm, eps);
        }

        private Tensor bias(Tensor x, Tensor b) {
            return b == null ? x : ops.add(x, b);
        }

        /** SwiGLU: down(silu(gate(x)) · up(x)). */
        private Tensor feedForward(Tensor x, Layer l) {
            return ops.matmul(ops.mul(ops.silu(ops.matmul(x, l.gate())), ops.matmul(x, l.up())), l.down());
        }

        /** Mixtral: softmax over the router's logits, the top k experts weighted by their renormalized probabilities. */
        private Tensor experts(Tensor x, Layer l) {
            Tensor probs = ops.softmax(ops.matmul(x, l.router()));
            TopK top = ops.topK(probs, expertsUsed);
            Tensor weights = ops.div(top.values(), ops.reshape(ops.sum(top.values(), -1), -1, 1));
            Tensor hidden = ops.mul(ops.silu(ops.gatherMatmul(x, l.gate(), top.indices())), ops.gatherMatmul(x, l.up(), top.indices()));
            Tensor out = ops.gatherMatmul(hidden, l.down(), top.indices());       // [tokens, k, width]
            return ops.sum(ops.mul(out, ops.reshape(weights, x.dim(0), expertsUsed, 1)), 1);
        }
    }
}
