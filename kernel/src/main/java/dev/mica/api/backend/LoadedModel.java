package dev.mica.api.backend;

/** A model resident in a backend. Contexts created from it hold the per-request memory (KV cache). */
public interface LoadedModel extends AutoCloseable {
    ModelInfo info();

    Tokenizer tokenizer();

    InferenceContext newContext(ContextOptions options) throws BackendException;

    /** Bytes this model holds (weights), for /api/ps and memory planning. */
    long sizeBytes();

    /** Frees the model. Contexts must be closed first. */
    @Override
    void close();
}
