package dev.mica.api.backend;

import java.lang.foreign.MemorySegment;

/**
 * Sequences living in one KV memory, decoded in batches. Not thread-safe: one thread drives a
 * context at a time (the engine's scheduler), except {@link #abort()}.
 */
public interface InferenceContext extends AutoCloseable {
    int maxSequences();

    int contextLength();

    /** Most tokens one decode accepts. */
    int batchCapacity();

    /**
     * Decodes a batch. Backends validate sizes, positions and sequence ids before any native call
     * and throw {@link IllegalArgumentException} rather than let a native library abort.
     */
    DecodeResult decode(Batch batch) throws BackendException;

    /**
     * The logits of a batch row that wanted them: {@code vocabSize} floats, read-only, valid until
     * the next decode.
     */
    MemorySegment logits(int batchRow);

    /** The pooled embedding of a sequence after decoding it in an embeddings context. */
    float[] embedding(int sequence);

    SequenceMemory memory();

    /** A sampler over this context's logits. Its constraint may be null. */
    Sampler sampler(SamplingParams params, Constraint constraint) throws BackendException;

    /** Asks a running decode to stop early; safe from any thread. */
    void abort();

    @Override
    void close();
}
