package dev.mica.api.arch;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A backend's tensor: weights (possibly quantized, possibly memory-mapped) or activations. Shapes
 * are row-major, outermost dimension first, as in PyTorch, MLX and Ollama: a linear layer's weight
 * is {@code [out, in]}, a batch of hidden states {@code [tokens, width]}, an expert stack
 * {@code [experts, out, in]}. (GGUF lists dimensions the other way round: ne0 is the last here.)
 */
@ProviderType
public interface Tensor {
    /** The dimensions, outermost first (a copy). */
    long[] shape();

    /** Size of dimension {@code axis}; negative axes count from the end. */
    default long dim(int axis) {
        long[] s = shape();
        return s[axis < 0 ? s.length + axis : axis];
    }

    /** Number of dimensions. */
    default int rank() {
        return shape().length;
    }

    /**
     * The element encoding: ggml's names for GGUF types ("f32", "f16", "bf16", "q8_0", "q4_K",
     * "mxfp4", ...), "i32" for indices; backends name their own further encodings.
     */
    String type();
}
