/**
 * Hand-written FFM bindings to libllama and ggml: {@link dev.mica.ggml.ffm.Natives} loads the
 * libraries once per process, {@link dev.mica.ggml.ffm.Llama} holds one method handle per C function,
 * {@link dev.mica.ggml.ffm.Layouts} mirrors the C structs. No checks happen at this level.
 */
package dev.mica.ggml.ffm;
