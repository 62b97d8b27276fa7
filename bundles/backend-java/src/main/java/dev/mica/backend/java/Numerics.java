package dev.mica.backend.java;

/**
 * How attention rounds. {@link #EXACT} computes in float throughout. {@link #LLAMA_CPP} rounds as
 * llama.cpp's CPU backend does with its default F16 KV cache: keys, values and queries to half
 * precision, and flash attention's running sum of values in half precision too. That rounding
 * moves logits by up to a few 1e-3 of their scale on long sequences, which would hide real
 * differences; the differential tests run in this mode so that the two backends agree to about
 * 1e-4 and anything larger is a bug.
 */
public enum Numerics {
    EXACT,
    LLAMA_CPP
}
