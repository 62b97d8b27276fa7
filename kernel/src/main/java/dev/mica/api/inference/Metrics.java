package dev.mica.api.inference;

/**
 * Counts and durations of one generation, in Ollama's terms. {@code promptEvalCount} counts only
 * prompt tokens computed; {@code cachedTokens} those reused from a cache.
 */
public record Metrics(
        int promptTokens,
        int promptEvalCount,
        int cachedTokens,
        int evalCount,
        long loadNanos,
        long promptEvalNanos,
        long evalNanos,
        long totalNanos) {}
