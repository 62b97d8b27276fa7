/**
 * Backend "mlx": GGUF models run by Apple's MLX through mlx-c and FFM, on one dedicated thread
 * ({@code MlxRuntime}). The computation comes from {@link dev.mica.api.arch.ModelArchitecture}
 * services over {@code MlxOps}, MLX's implementation of the backend-neutral op set; KV lives per
 * sequence as MLX arrays ({@code MlxMemory}).
 */
package dev.mica.mlx;
