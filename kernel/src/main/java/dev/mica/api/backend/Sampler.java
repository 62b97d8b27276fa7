package dev.mica.api.backend;

/** Chooses the next token from a batch row's logits. Keeps history for penalties and grammars. */
public interface Sampler extends AutoCloseable {
    /** Samples a token from the logits of {@code batchRow} of the last decode, and accepts it. */
    int sample(int batchRow);

    /** Feeds a token that was not sampled here (a prompt token) into the history. */
    void accept(int token);

    /**
     * A token the engine writes into the answer itself (a thinking budget's {@code </think>}):
     * into the history, and a grammar moves over it where it allows it, or the model would have
     * to write it again. A sampler without a grammar needs nothing more than {@link #accept}.
     */
    default void force(int token) {
        accept(token);
    }

    void reset();

    @Override
    void close();
}
