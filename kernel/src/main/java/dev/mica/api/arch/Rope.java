package dev.mica.api.arch;

/**
 * Rotary position embedding of the first {@code dims} features of each head (partial rotation
 * when {@code dims} is less than the head size; the rest pass through).
 *
 * <p>{@link Style#NORMAL} rotates adjacent pairs (x[2i], x[2i+1]) as Llama's GGUF layout wants;
 * {@link Style#NEOX} rotates (x[i], x[i + dims/2]) as GPT-NeoX, Qwen and Hugging Face's
 * {@code rotate_half} do. Qwen3.5's interleaved multi-section RoPE (IMRoPE) gives every section the
 * same position for text, which makes it NEOX over {@code dims}; vision positions are not part of
 * this op set yet.
 *
 * @param dims     features rotated per head (even)
 * @param base     frequency base θ (10000, 500000, ...)
 * @param scale    linear position scale (1 = none): positions are multiplied by it
 */
public record Rope(int dims, float base, float scale, Style style) {
    public enum Style { NORMAL, NEOX }

    public Rope {
        if (dims <= 0 || dims % 2 != 0) {
            throw new IllegalArgumentException("rope dims must be positive and even: " + dims);
        }
    }
}
