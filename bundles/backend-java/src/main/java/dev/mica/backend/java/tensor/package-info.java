/**
 * Tensors and kernels of the Java backend: F32 activations on the heap, weights in place in the
 * mapped GGUF file, one {@link dev.mica.backend.java.tensor.WeightFormat} per GGUF type with a
 * fused Vector API dot product and a reference dequantizer, and a thread pool that splits matmuls
 * by rows.
 */
package dev.mica.backend.java.tensor;
