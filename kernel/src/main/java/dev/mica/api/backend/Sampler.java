package dev.mica.api.backend;

/** Chooses the next token from a batch row's logits. Keeps history for penalties and grammars. */
public interface Sampler extends AutoCloseable {
    /** Samples a token from the logits of {@code batchRow} of the last decode, and accepts it. */
    int sample(int batchRow);

    /** Feeds a token that was not sampled here (e.g. a prompt token) into the history. */
    void accept(int token);

    void reset();

    @Override
    void close();
}
