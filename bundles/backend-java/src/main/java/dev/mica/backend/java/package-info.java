/**
 * Backend "java": GGUF models computed on the JVM. Weights are memory-mapped through FFM and read
 * in place; matmuls are Vector API kernels per weight format ({@code tensor}); the model's
 * computation comes from {@link dev.mica.api.arch.ModelArchitecture} services, so an architecture
 * bundle dropped into deploy/ makes its models loadable without a restart.
 */
package dev.mica.backend.java;
