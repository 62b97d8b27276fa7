package dev.mica.api.backend;

/**
 * The KV (and recurrent state) memory of a context, per sequence. Positions are token positions;
 * a range [from, to) with {@code to < 0} runs to the end.
 */
public interface SequenceMemory {
    /**
     * Drops positions [from, to) of a sequence. Returns false, changing nothing, where the model
     * cannot (recurrent or hybrid models cannot drop a partial tail).
     */
    boolean removeRange(int sequence, int from, int to);

    /**
     * Makes positions [from, to) of {@code source} visible to {@code target} as well. Where each
     * sequence has a KV memory of its own (a context without {@code unifiedKv}), the target then
     * holds that range only: what it held before is replaced.
     */
    void copy(int source, int target, int from, int to);

    /** Drops every sequence but this one. */
    void keepOnly(int sequence);

    /** Drops everything. */
    void clear();

    /** Smallest position held for a sequence, or -1 when empty. */
    int minPosition(int sequence);

    /** Largest position held for a sequence, or -1 when empty. */
    int maxPosition(int sequence);

    /** Whether {@link #removeRange} works for ranges that do not start at 0. */
    boolean supportsPartialRemoval();

    /** Copies a sequence's state off the backend (host memory), to restore later. */
    Snapshot save(int sequence, Snapshot.Kind kind) throws BackendException;

    /** Puts a snapshot back into a sequence, replacing what it held. False if it does not fit. */
    boolean restore(int sequence, Snapshot snapshot);

    int cellsUsed();

    int cellsTotal();
}
