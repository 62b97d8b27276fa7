/**
 * Tokenizers in Java for mica's backends that do not have libllama's: GGUF vocabularies
 * ({@link dev.mica.tokenizer.GgufTokenizers}, token for token what libllama gives) and Hugging Face
 * {@code tokenizer.json} files of MLX-format models ({@link dev.mica.tokenizer.HfTokenizers}). Both
 * return the kernel's {@link dev.mica.api.backend.Tokenizer}.
 *
 * <p>A plain library: bundles copy this package in privately (bnd {@code -conditionalpackage}),
 * together with {@code dev.mica.gguf}.
 */
package dev.mica.tokenizer;
