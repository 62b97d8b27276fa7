package dev.mica.ggml;

import dev.mica.api.backend.Snapshot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A sequence's state as {@code llama_state_seq_get_data_ext} serialized it, in host memory of its own
 * arena. Only the model that wrote it can read it back: the bytes are that model's KV rows and
 * recurrent state, and libllama asserts (kills the process) on some mismatches instead of failing.
 */
final class GgmlSnapshot implements Snapshot {
    private final GgmlModel owner;
    private final Kind kind;
    private final int minPosition;
    private final int maxPosition;
    private final Arena arena;
    private final MemorySegment data;

    GgmlSnapshot(GgmlModel owner, Kind kind, int minPosition, int maxPosition, Arena arena, MemorySegment data) {
        this.owner = owner;
        this.kind = kind;
        this.minPosition = minPosition;
        this.maxPosition = maxPosition;
        this.arena = arena;
        this.data = data;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    @Override
    public int tokens() {
        return maxPosition + 1;
    }

    /** Smallest position the sequence held when saved, or -1 for an empty one. */
    int minPosition() {
        return minPosition;
    }

    /** Largest position the sequence held when saved, or -1 for an empty one. */
    int maxPosition() {
        return maxPosition;
    }

    GgmlModel owner() {
        return owner;
    }

    /** The writable bytes, for libllama to read from; callers outside get {@link #data()}. */
    MemorySegment writable() {
        return data;
    }

    boolean isOpen() {
        return arena.scope().isAlive();
    }

    @Override
    public MemorySegment data() {
        return data.asReadOnly();
    }

    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgmlSnapshot[" + kind + ", " + tokens() + " tokens, " + data.byteSize() + " bytes]";
    }
}
