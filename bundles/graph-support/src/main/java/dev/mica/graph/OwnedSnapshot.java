package dev.mica.graph;

import dev.mica.api.backend.Snapshot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A sequence's state in off-heap memory of its own, freed on close; it remembers the model it was
 * saved from, so a backend can refuse another model's bytes.
 */
public final class OwnedSnapshot implements Snapshot {
    private final Object owner;
    private final Kind kind;
    private final int tokens;
    private final Arena arena;
    private final MemorySegment data;

    public OwnedSnapshot(Object owner, Kind kind, int tokens, Arena arena, MemorySegment data) {
        this.owner = owner;
        this.kind = kind;
        this.tokens = tokens;
        this.arena = arena;
        this.data = data;
    }

    /** The model it was saved from: snapshots of another model's layout cannot be read back. */
    public Object owner() {
        return owner;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    @Override
    public int tokens() {
        return tokens;
    }

    @Override
    public MemorySegment data() {
        if (!arena.scope().isAlive()) throw new IllegalStateException("the snapshot is closed");
        return data.asReadOnly();
    }

    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return "OwnedSnapshot[" + kind + ", " + tokens + " tokens, " + data.byteSize() + " bytes]";
    }
}
