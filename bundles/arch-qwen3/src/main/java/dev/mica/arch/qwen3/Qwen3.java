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
 * Qwen3 (dense): Llama's block with RMS norms on each query and key head before the rotation,
 * NeoX-style rotary positions and head sizes of their own ({@code attention.key_length}), as
 * llama.cpp's {@code models/qwen3.cpp} and mlx-lm's {@code models/qwen3.py} compute them.
 */
@Component(property = {ModelArchitecture.NAMES_PROPERTY + "=qwen3", ModelArchitecture.NAMES_PROPERTY + "=Qwen3ForCausalLM"})
public final class Qwen3 implements ModelArchitecture {

    @Override
    public List<String> names() {
        return List.of("qwen3", "Qwen3ForCausalLM");
    }

    @Override
    public ForwardPass build(ModelConfig config, Weights weights, TensorOps ops) throws ArchitectureException {
        return new Qwen3Pass(config, weights, ops, false);
    }
}
