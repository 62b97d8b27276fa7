package dev.mica.api.backend;

import java.lang.foreign.MemorySegment;

/** A sequence's state in host memory, owned by whoever holds it. Close it to free the memory. */
public interface Snapshot extends AutoCloseable {
    enum Kind {
        /** KV and recurrent state: restores the whole sequence. */
        FULL,
        /** Only the recurrent part of a hybrid model: small, paired with KV kept in the context. */
        RECURRENT_ONLY
    }

    Kind kind();

    /** Positions covered: the snapshot restores a sequence holding [0, tokens). */
    int tokens();

    /** The serialized state; read-only. */
    MemorySegment data();

    default long bytes() {
        return data().byteSize();
    }

    @Override
    void close();
}
