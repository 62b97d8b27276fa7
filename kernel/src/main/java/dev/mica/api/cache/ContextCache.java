package dev.mica.api.cache;

import dev.mica.api.backend.BackendException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The placement of prompts in one context's sequences. Called from the context's scheduler thread
 * only; every sequence operation it makes goes through the context's memory, between two decodes.
 */
@ProviderType
public interface ContextCache extends AutoCloseable {
    /**
     * A prompt about to be decoded.
     *
     * @param conversation a stable key of the conversation (an A/B experiment assigns arms by it)
     * @param boundaries token positions worth resuming from (the end of the system prompt, of
     *     earlier messages), ascending
     */
    record Request(int[] prompt, String conversation, int[] boundaries) {}

    /**
     * Where a prompt went: its sequence, how many of its first tokens that sequence already holds
     * (at least one token is always left to decode, since its logits start the answer), and the
     * positions at which the engine should stop prefilling and call {@link #checkpoint}, ascending.
     */
    record Placement(int sequence, int reused, int[] checkpoints, String arm) {}

    /** Whether a decoding sequence is free for {@link #place}. */
    boolean anyFree();

    /**
     * Gives a free decoding sequence to a prompt, after copying or restoring the longest prefix
     * the cache has for it. A failure leaves the sequence empty and free.
     */
    Placement place(Request request) throws BackendException;

    /** The placed sequence holds exactly {@code tokens[0, length)}: keep its state at that point. */
    void checkpoint(Placement placement, int[] tokens, int length);

    /**
     * The request is over and its sequence holds {@code tokens[0, length)}, which the cache may
     * keep; the sequence is free again. {@code timeToFirstTokenNanos} is for per-arm metrics (0
     * when no token came).
     */
    void finished(Placement placement, int[] tokens, int length, long timeToFirstTokenNanos);

    /** The request is over and its sequence's memory cannot be trusted (an aborted or failed decode). */
    void discard(Placement placement);

    /** Frees what the cache holds outside the context (snapshots). */
    @Override
    void close();
}
