package dev.mica.mlx;

import dev.mica.api.arch.Tensor;
import dev.mica.mlx.ffm.Mlx;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * An MLX array seen as a {@link Tensor}. A quantized weight is three arrays (packed values, scales,
 * biases) with MLX's group size, bits and mode; its shape is the logical {@code [out, in]}.
 * Who frees the handles is decided where the tensor is made: the model for weights, the step's
 * scope for activations.
 */
record MlxTensor(MemorySegment array, long[] dims, String type, Quant quant) implements Tensor {
    /** MLX quantization: {@code mode} "affine" (scale and bias per group), "mxfp4", "mxfp8" or "nvfp4". */
    record Quant(MemorySegment scales, MemorySegment biases, int groupSize, int bits, String mode) {}

    MlxTensor(MemorySegment array, long[] dims, String type) {
        this(array, dims, type, null);
    }

    @Override
    public long[] shape() {
        return dims.clone();
    }

    boolean quantized() {
        return quant != null;
    }

    /** Frees its arrays (the packed values, and a quantized weight's scales and biases); on the MLX thread. */
    void free(Mlx mlx) {
        mlx.free(array);
        if (quant != null) {
            mlx.free(quant.scales());
            mlx.free(quant.biases());
        }
    }

    @Override
    public String toString() {
        return "MlxTensor[" + type + " " + Arrays.toString(dims) + (quant == null ? "" : ", " + quant.mode() + " " + quant.bits()
                + "-bit/" + quant.groupSize()) + "]";
    }
}
