package dev.mica.api.arch;

import java.util.List;

/**
 * What a backend keeps per sequence, layer by layer: attention layers keep keys and values for
 * every position (the KV cache); recurrent layers keep a fixed-size state that each token
 * updates (a causal convolution's last inputs and a gated-delta or SSM state). A model with both
 * kinds is hybrid: it can resume only from where its recurrent state was saved.
 */
public record StateLayout(List<Layer> layers) {
    public StateLayout {
        layers = List.copyOf(layers);
    }

    /** What one layer keeps. */
    public sealed interface Layer {}

    /** Keys and values for each position: {@code kvHeads × keyDim} and {@code kvHeads × valueDim} floats. */
    public record Attention(int kvHeads, int keyDim, int valueDim) implements Layer {}

    /**
     * Fixed-size recurrent state: the last {@code convWidth - 1} inputs of a causal convolution
     * over {@code convChannels} channels, and a {@code heads × keyDim × valueDim} matrix state.
     */
    public record Recurrent(int convWidth, int convChannels, int heads, int keyDim, int valueDim) implements Layer {
        public long convFloats() {
            return (long) (convWidth - 1) * convChannels;
        }

        public long stateFloats() {
            return (long) heads * keyDim * valueDim;
        }
    }

    /** Nothing per sequence (a feed-forward-only block). */
    public record None() implements Layer {}

    public boolean hasAttention() {
        return layers.stream().anyMatch(l -> l instanceof Attention);
    }

    public boolean hasRecurrent() {
        return layers.stream().anyMatch(l -> l instanceof Recurrent);
    }
}
