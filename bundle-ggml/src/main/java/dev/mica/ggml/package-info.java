/**
 * The GGML backend: {@link dev.mica.ggml.GgmlBackend}, a Declarative Services component that offers
 * llama.cpp's libllama as a {@link dev.mica.api.backend.Backend}, and the contract's model, context,
 * memory, snapshot, sampler and tokenizer over it. Private to the bundle: the engine sees only the
 * contract.
 *
 * <p>libllama answers many mistakes by aborting the process, which a JVM cannot catch; the classes
 * here check every argument that could reach such a path and throw instead.
 */
package dev.mica.ggml;
