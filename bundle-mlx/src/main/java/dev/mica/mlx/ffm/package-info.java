/**
 * Hand-written FFM bindings to mlx-c (0.6.0, over MLX 0.31.2): only the calls the MLX backend uses.
 * Handles ({@code mlx_array}, {@code mlx_stream}, ...) are {@code struct { void* ctx; }} passed by
 * value; here they are plain {@link java.lang.foreign.MemorySegment} addresses.
 */
package dev.mica.mlx.ffm;
