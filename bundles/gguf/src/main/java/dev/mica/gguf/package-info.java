/**
 * GGUF files: {@link dev.mica.gguf.GgufFile} reads a header (metadata and tensor infos, never the
 * tensor data) and refuses malformed or hostile files with {@link dev.mica.gguf.GgufException};
 * {@link dev.mica.gguf.GgufWriter} writes GGUF v3 files, converting float rows to F32, F16, BF16, Q8_0
 * or Q4_0 bit-exactly as ggml does ({@link dev.mica.gguf.GgmlQuants}); {@link dev.mica.gguf.GgmlType}
 * and {@link dev.mica.gguf.LlamaFileType} mirror llama.cpp's enums; {@link dev.mica.gguf.SyntheticModels}
 * writes random-weight llama models that llama.cpp loads, for tests and benchmarks.
 *
 * <p>A plain library without dependencies: bundles copy this package in privately.
 */
package dev.mica.gguf;
