package dev.mica.arch.qwen35;

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
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * Qwen3.5 (Qwen3.5-35B-A3B and its dense siblings): a hybrid of Gated DeltaNet linear attention
 * (three layers in four) and gated full attention (every fourth), each followed by a post-norm
 * feed-forward that is dense ({@code qwen35}) or a mixture of experts with a sigmoid-gated shared
 * expert ({@code qwen35moe}). After llama.cpp's {@code models/qwen35.cpp} and
 * {@code qwen35moe.cpp}, and mlx-lm's {@code models/qwen3_next.py}.
 *
 * <p>A linear-attention layer projects the input to q, k, v (through a short causal convolution
 * and SiLU), to a gate z, and to per-head decay g and write strength β, then runs the gated delta
 * rule over a per-sequence state; its output is RMS-normed per head and gated by silu(z). A
 * full-attention layer projects each query head together with an output gate, RMS-norms queries
 * and keys per head, rotates the first {@code rope.dimension_count} features (interleaved
 * multi-section RoPE, which for text is NeoX-style), and gates the attention output by sigmoid.
 */
@Component(property = {ModelArchitecture.NAMES_PROPERTY + "=qwen35", ModelArchitecture.NAMES_PROPERTY + "=qwen35moe",
        ModelArchitecture.NAMES_PROPERTY + "=Qwen3_5ForCausalLM", ModelArchitecture.NAMES_PROPERTY + "=Qwen3_5MoeForCausalLM",
        ModelArchitecture.NAMES_PROPERTY + "=Qwen3_5ForConditionalGeneration",
        ModelArchitecture.NAMES_PROPERTY + "=Qwen3_5MoeForConditionalGeneration"})
public final class Qwen35 implements ModelArchitecture {

    @Override
    public List<String> names() {
        return List.of("qwen35", "qwen35moe", "Qwen3_5ForCausalLM", "Qwen3_5MoeForCausalLM", "Qwen3_5ForConditionalGeneration",
                "Qwen3_5MoeForConditionalGeneration");
    }

    @Override
    public ForwardPass build(ModelConfig config, Weights weights, TensorOps ops) throws ArchitectureException {
        return new Pass(config, weights, ops);
    }

    /** The token mixer of a layer: linear attention or full attention. */
    private sealed interface Mixer {}

    private record Linear(Tensor qkv, Tensor gate, Tensor conv, Tensor dtBias, Tensor a, Tensor beta, Tensor alpha, Tensor norm,
                          Tensor out) implements Mixer {}

    private record Full(Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor qNorm, Tensor kNorm) implements Mixer {}

    /** Dense (gate, up, down) or experts (router and stacks) with a shared expert and its gate. */
    private record FeedForward(Tensor gate, Tensor up, Tensor down, Tensor router, Tensor sharedGate, Tensor sharedUp,
                               Tensor sharedDown, Tensor sharedRouter) {}

    private record Layer(Tensor attnNorm, Mixer mixer, Tensor postNorm, FeedForward ffn) {}

    private static final class Pass implements ForwardPass {
        private final TensorOps ops;
        private final int heads, kvHeads, headDim, vocab, expertsUsed;
        private final int kHeads, vHeads, headK, headV, convDim;
        private final float eps, scale;
        private final Rope rope;
        private final Tensor embeddings, outputNorm, output;
        private final List<Layer> layers = new ArrayList<>();
        private final StateLayout state;

        Pass(ModelConfig c, Weights w, TensorOps ops) throws ArchitectureException {
            this.ops = ops;
            int width = c.integer("embedding_length");
            int blocks = c.integer("block_count") - c.integer("nextn_predict_layers", 0);   // multi-token-prediction blocks are not run
            heads = c.integer("attention.head_count");
            kvHeads = c.integer("attention.head_count_kv", heads);
            headDim = c.integer("attention.key_length", width / heads);
            eps = c.number("attention.layer_norm_rms_epsilon");
            scale = (float) (1.0 / Math.sqrt(headDim));
            rope = new Rope(c.integer("rope.dimension_count", headDim), c.number("rope.freq_base", 10_000_000f), 1f, Rope.Style.NEOX);
            headK = c.integer("ssm.state_size");
            kHeads = c.integer("ssm.group_count");
            vHeads = c.integer("ssm.time_step_rank");
            headV = c.integer("ssm.inner_size") / vHeads;
            convDim = 2 * kHeads * headK + vHeads * headV;
            int convWidth = c.integer("ssm.conv_kernel");
            int interval = c.integer("full_attention_interval", 4);
            int[] recurrent = c.perLayer("attention.recurrent_layers", blocks, -1);
            expertsUsed = c.integer("expert_used_count", 0);

            embeddings = w.get("token_embd.weight");
            vocab = (int) embeddings.dim(0);
            outputNorm = w.get("output_norm.weight");
            output = w.find("output.weight") != null ? w.get("output.weight") : embeddings;
            List<StateLayout.Layer> kept = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                String p = "blk." + i + ".";
                boolean linear = recurrent[i] >= 0 ? recurrent[i] != 0 : (i + 1) % interval != 0;
                Mixer mixer;
                if (linear) {
                    mixer = new Linear(w.get(p + "attn_qkv.weight", convDim, width), w.get(p + "attn_gate.weight", (long) vHeads * headV, width),
                            w.get(p + "ssm_conv1d.weight", convDim, convWidth), w.get(p + "ssm_dt.bias", vHeads), w.get(p + "ssm_a", vHeads),
                            w.get(p + "ssm_beta.weight", vHeads, width), w.get(p + "ssm_alpha.weight", vHeads, width),
                            w.get(p + "ssm_norm.weight", headV), w.get(p + "ssm_out.weight", width, (long) vHeads * headV));
                    kept.add(new StateLayout.Recurrent(convWidth, convDim, vHeads, headK, headV));
                } else {
                    mixer = new Full(w.get(p + "attn_q.weight", 2L * heads * headDim, width),
                            w.get(p + "attn_k.weight", (long) kvHeads * headDim, width),
                            w.get(p + "attn_v.weight", (long) kvHeads * headDim, width),
                            w.get(p + "attn_output.weight", width, (long) heads * headDim),
                            w.get(p + "attn_q_norm.weight", headDim), w.get(p + "attn_k_norm.weight", headDim));
                    kept.add(new StateLayout.Attention(kvHeads, headDim, headDim));
                }
                FeedForward ffn = w.find(p + "ffn_gate_inp.weight") == null
                        ? new FeedForward(w.get(p + "ffn_gate.weight"), w.get(p + "ffn_up.weight"), w.get(p + "ffn_down.weight"),
                                null, null, null, null, null)
                        : new FeedForward(w.get(p + "ffn_gate_exps.weight"), w.get(p + "ffn_up_exps.weight"), w.get(p + "ffn_down_exps.weight"),
                                w.get(p + "ffn_gate_inp.weight"), w.find(p + "ffn_gate_shexp.weight"), w.find(p + "ffn_up_shexp.weight"),
                                w.find(p + "ffn_down_shexp.weight"), w.find(p + "ffn_gate_inp_shexp.weight"));
                if (ffn.router() != null && expertsUsed <= 0) throw new ArchitectureException(c.architecture() + ".expert_used_count is missing");
                layers.add(new Layer(w.get(p + "attn_norm.weight", width), mixer, w.get(p + "post_attention_norm.weight", width), ffn));
            }
            state = new StateLayout(kept);
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
            Tensor x = ops.embed(embeddings, step.tokens());
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                Tensor h = ops.rmsNorm(x, l.attnNorm(), eps);
                Tensor mixed = switch (l.mixer()) {
                    case Linear m -> linearAttention(step, i, h, m);
                    case Full m -> fullAttention(step, i, h, m);
                };
                x = ops.add(x, mixed);
                h = ops.rmsNorm(x, l.postNorm(), eps);
                x = ops.add(x, l.ffn().router() == null ? swiglu(h, l.ffn().gate(), l.ffn().up(), l.ffn().down()) : experts(h, l.ffn()));
            }
            x = ops.rows(x, step.outputs());
            return ops.rmsNorm(x, outputNorm, eps);
        }

        private Tensor linearAttention(Step step, int layer, Tensor h, Linear m) {
            int n = step.size();
            Tensor beta = ops.sigmoid(ops.matmul(h, m.beta()));                                          // [n, vHeads]
            Tensor g = ops.mul(ops.softplus(ops.add(ops.matmul(h, m.alpha()), m.dtBias())), m.a());         // log decay, ≤ 0
            Tensor mixed = ops.silu(ops.conv1d(step, layer, ops.matmul(h, m.qkv()), m.conv()));          // [n, convDim]
            int keys = kHeads * headK;
            Tensor q = l2Norm(ops.reshape(ops.slice(mixed, 1, 0, keys), n, kHeads, headK));
            Tensor k = l2Norm(ops.reshape(ops.slice(mixed, 1, keys, 2L * keys), n, kHeads, headK));
            Tensor v = ops.reshape(ops.slice(mixed, 1, 2L * keys, convDim), n, vHeads, headV);
            Tensor out = ops.gatedDelta(step, layer, ops.scale(q, (float) (1.0 / Math.sqrt(headK))), k, v, g, beta);
            Tensor z = ops.reshape(ops.matmul(h, m.gate()), n, vHeads, headV);
            Tensor gated = ops.mul(ops.rmsNorm(out, m.norm(), eps), ops.silu(z));
            return ops.matmul(ops.reshape(gated, n, (long) vHeads * headV), m.out());
        }

        /** x / ‖x‖ per head, written as llama.cpp does: rms_norm with eps/n, times 1/√n. */
        private Tensor l2Norm(Tensor x) {
            return ops.scale(ops.rmsNorm(x, null, eps / headK), (float) (1.0 / Math.sqrt(headK)));
        }

        private Tensor fullAttention(Step step, int layer, Tensor h, Full m) {
            int n = step.size();
            Tensor qg = ops.reshape(ops.matmul(h, m.wq()), n, heads, 2L * headDim);     // per head: query, then its gate
            Tensor q = ops.rmsNorm(ops.slice(qg, 2, 0, headDim), m.qNorm(), eps);
            Tensor gate = ops.reshape(ops.slice(qg, 2, headDim, 2L * headDim), n, (long) heads * headDim);
            Tensor k = ops.rmsNorm(ops.reshape(ops.matmul(h, m.wk()), n, kvHeads, headDim), m.kNorm(), eps);
            Tensor v = ops.reshape(ops.matmul(h, m.wv()), n, kvHeads, headDim);
            q = ops.rope(q, step.positions(), rope, null);
            k = ops.rope(k, step.positions(), rope, null);
            Tensor attention = ops.attention(step, layer, q, k, v, scale);
            return ops.matmul(ops.mul(attention, ops.sigmoid(gate)), m.wo());
        }

        private Tensor swiglu(Tensor x, Tensor gate, Tensor up, Tensor down) {
            return ops.matmul(ops.mul(ops.silu(ops.matmul(x, gate)), ops.matmul(x, up)), down);
        }

        private Tensor experts(Tensor x, FeedForward f) {
            TopK top = ops.topK(ops.softmax(ops.matmul(x, f.router())), expertsUsed);
            Tensor weights = ops.div(top.values(), ops.reshape(ops.sum(top.values(), -1), -1, 1));
            Tensor hidden = ops.mul(ops.silu(ops.gatherMatmul(x, f.gate(), top.indices())), ops.gatherMatmul(x, f.up(), top.indices()));
            Tensor out = ops.gatherMatmul(hidden, f.down(), top.indices());
            Tensor routed = ops.sum(ops.mul(out, ops.reshape(weights, x.dim(0), expertsUsed, 1)), 1);
            if (f.sharedUp() == null) return routed;
            Tensor shared = swiglu(x, f.sharedGate(), f.sharedUp(), f.sharedDown());
            return ops.add(routed, ops.mul(shared, ops.sigmoid(ops.matmul(x, f.sharedRouter()))));   // [n, 1] gate per token
        }
    }
}
