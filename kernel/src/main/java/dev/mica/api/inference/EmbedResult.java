package dev.mica.api.inference;

import java.util.List;

/** Normalized embeddings, one per input. */
public record EmbedResult(String model, List<float[]> embeddings, int promptTokens, long loadNanos, long totalNanos) {}
