package dev.mica.api.backend;

/**
 * Sampler settings with the meaning and defaults of llama.cpp and Ollama. temperature 0 is greedy.
 * A top_k of 0, top_p of 1 and min_p of 0 disable those stages.
 */
public record SamplingParams(
        float temperature,
        int topK,
        float topP,
        float minP,
        float typicalP,
        int repeatLastN,
        float repeatPenalty,
        float presencePenalty,
        float frequencyPenalty,
        long seed) {

    public static final long RANDOM_SEED = -1;
    public static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0f, 1f, 64, 1f, 0f, 0f, 0);
    public static final SamplingParams DEFAULTS = new SamplingParams(0.8f, 40, 0.9f, 0f, 1f, 64, 1.1f, 0f, 0f, RANDOM_SEED);

    /**
     * Refuses values no sampler can use (infinities, NaN, a repetition penalty of 0 or less), which
     * every backend's sampler checks before it is built.
     */
    public void requireUsable() {
        if (!Float.isFinite(temperature) || !Float.isFinite(topP) || !Float.isFinite(minP) || !Float.isFinite(typicalP)
                || !Float.isFinite(frequencyPenalty) || !Float.isFinite(presencePenalty) || !(repeatPenalty > 0f)
                || !Float.isFinite(repeatPenalty)) {
            throw new IllegalArgumentException("sampling parameters out of range: " + this);
        }
    }
}
