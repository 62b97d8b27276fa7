package dev.mica.arch.qwen3;

import dev.mica.api.arch.ArchitectureException;
import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.arch.ModelConfig;
import dev.mica.api.arch.TensorOps;
import dev.mica.api.arch.Weights;
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
        return new Qwen3Pass(config, weights, ops, true);
    }
}
