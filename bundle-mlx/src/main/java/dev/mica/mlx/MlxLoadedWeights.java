package dev.mica.mlx;

import dev.mica.api.arch.ModelConfig;
import dev.mica.api.arch.Weights;

/** A model's configuration and tensors in MLX, from whichever format they came (GGUF, MLX safetensors). */
interface MlxLoadedWeights extends ModelConfig, Weights, AutoCloseable {
    /** Bytes read from the model's files. */
    long bytes();

    /** Frees every array; on the MLX thread. */
    @Override
    void close();
}
