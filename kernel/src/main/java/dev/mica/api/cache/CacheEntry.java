package dev.mica.api.cache;

/**
 * What a policy may know of an entry: a node of the prefix tree holding some state. Read-only and
 * valid only during the call it is passed to.
 */
public interface CacheEntry {
    /** Where the entry's state lives. */
    enum Tier {
        /** Cells in the backend's KV memory. */
        RESIDENT,
        /** A state snapshot in host memory. */
        HOST,
        /** A state snapshot on disk. */
        DISK
    }

    Tier tier();

    /** Tokens from the root to the end of this entry. */
    int depth();

    /** Tokens this entry holds itself (its edge in the tree). */
    int tokens();

    /** Bytes this entry's state takes in its tier. */
    long bytes();

    /** Requests that reused this entry. */
    long hits();

    /** Monotonic time of the last use, in nanoseconds. */
    long lastUse();

    /** Monotonic time the entry was created, in nanoseconds. */
    long created();

    /** Child entries now. */
    int children();

    /** True once two or more different continuations have grown from this entry: a shared prefix. */
    boolean shared();

    /** Tokens of computation this entry saves a request that reuses it (its depth, for a prefix). */
    default long cost() {
        return depth();
    }
}
