package dev.mica.api.arch;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A model's tensors by GGUF name ("token_embd.weight", "blk.3.attn_q.weight"). A backend reading
 * another format (safetensors) maps its names to these. Tensors stay the backend's: typically
 * memory-mapped, never copied.
 */
@ProviderType
public interface Weights {
    /** The tensor, or null when the model has none by that name. */
    Tensor find(String name);

    /** The tensor; fails naming it when absent. */
    default Tensor get(String name) throws ArchitectureException {
        Tensor t = find(name);
        if (t == null) {
            throw new ArchitectureException("the model has no tensor '" + name + "'");
        }
        return t;
    }

    /** The tensor with its shape checked (outermost first); fails naming both shapes otherwise. */
    default Tensor get(String name, long... shape) throws ArchitectureException {
        Tensor t = get(name);
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new ArchitectureException("tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected " + java.util.Arrays.toString(shape));
        }
        return t;
    }
}
