package dev.mica.api.backend;

/**
 * Shape of an inference context.
 *
 * @param contextLength KV cells in total, shared by all sequences when {@code unifiedKv}
 * @param maxSequences sequences that may live at once
 * @param batchSize most tokens one {@link InferenceContext#decode} call accepts
 * @param threads compute threads; 0 lets the backend decide
 * @param embeddings whether the context produces embeddings instead of logits
 * @param unifiedKv one KV memory for all sequences, which makes prefix copies cheap
 */
public record ContextOptions(int contextLength, int maxSequences, int batchSize, int threads, boolean embeddings, boolean unifiedKv) {
    public ContextOptions {
        if (contextLength <= 0 || maxSequences <= 0 || batchSize <= 0 || threads < 0) {
            throw new IllegalArgumentException("context options out of range: " + contextLength + "/" + maxSequences + "/" + batchSize + "/" + threads);
        }
    }
}
