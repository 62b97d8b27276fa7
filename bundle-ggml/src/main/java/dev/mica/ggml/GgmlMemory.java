package dev.mica.ggml;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ModelInfo.MemoryKind;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.ggml.ffm.Llama;
import dev.mica.ggml.ffm.Natives;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * A context's sequences through libllama's memory API, with the checks that keep its assertions
 * unreachable: sequence ids in range, no partial copy into a recurrent state (libllama silently
 * copies everything), and across KV streams (one per sequence unless the context is unified) a
 * partial copy made of a whole one and cuts, since libllama aborts the process on a partial one.
 *
 * <p>Every method holds the context's lock.
 */
final class GgmlMemory implements SequenceMemory {
    private static final System.Logger LOG = System.getLogger("dev.mica.ggml");

    private final GgmlContext context;
    private final Llama llama;
    /** {@code llama_memory_t}; NULL for encoder-only models, which libllama's calls accept. */
    private final MemorySegment memory;
    private final MemoryKind kind;
    private final boolean unifiedKv;
    private final CellLedger ledger = new CellLedger();

    GgmlMemory(GgmlContext context, Llama llama, MemorySegment memory, MemoryKind kind, boolean unifiedKv) {
        this.context = context;
        this.llama = llama;
        this.memory = memory;
        this.kind = kind;
        this.unifiedKv = unifiedKv;
    }

    /**
     * Drops [from, to) of a sequence. For recurrent and hybrid models libllama refuses a range that
     * is not the whole sequence (returning false, with the recurrent part checked first so nothing
     * changes) unless it only cuts a tail past the recurrent state, as after restoring a
     * {@link Snapshot.Kind#RECURRENT_ONLY} snapshot.
     */
    @Override
    public boolean removeRange(int sequence, int from, int to) {
        synchronized (context.lock()) {
            context.ensureOpen();
            context.checkSequence(sequence);
            checkFrom(from);
            if (to >= 0 && to <= from) {
                return true;
            }
            boolean removed = llama.memorySeqRm(memory, sequence, from, to < 0 ? -1 : to);
            if (removed) {
                ledger.remove(sequence, from, to < 0 ? Integer.MAX_VALUE : to);
            }
            return removed;
        }
    }

    @Override
    public void copy(int source, int target, int from, int to) {
        synchronized (context.lock()) {
            context.ensureOpen();
            context.checkSequence(source);
            context.checkSequence(target);
            checkFrom(from);
            if (source == target) {
                return;
            }
            boolean whole = from == 0 && to < 0;
            if (!whole) {
                if (kind == MemoryKind.RECURRENT || kind == MemoryKind.HYBRID) {
                    throw new IllegalArgumentException("a " + kind + " model's state cannot be copied in part: copy the"
                            + " whole sequence (from 0, to -1) or restore a snapshot");
                }
                if (to >= 0 && to <= from) {
                    return;
                }
            }
            if (unifiedKv) {
                refuseOverlap(source, target, from, to);
                llama.memorySeqCp(memory, source, target, from, to < 0 ? -1 : to);
                ledger.share(source, target, from, to < 0 ? Integer.MAX_VALUE : to);
                return;
            }
            // Across KV streams llama.cpp copies only whole streams (a partial range aborts the
            // process): the target's stream is reset to the source's, then cut to the range.
            llama.memorySeqCp(memory, source, target, 0, -1);
            ledger.duplicate(source, target);
            if (to >= 0 && llama.memorySeqRm(memory, target, to, -1)) ledger.remove(target, to, Integer.MAX_VALUE);
            if (from > 0 && llama.memorySeqRm(memory, target, 0, from)) ledger.remove(target, 0, from);
        }
    }

    /**
     * In a unified cache a copy tags the source's cells with the target: where the target already
     * holds one of those positions it would end up with two cells for one position.
     */
    private void refuseOverlap(int source, int target, int from, int to) {
        int targetMax = llama.memorySeqPosMax(memory, target);
        if (targetMax < 0) {
            return;
        }
        int targetMin = llama.memorySeqPosMin(memory, target);
        int sourceMin = llama.memorySeqPosMin(memory, source);
        int sourceMax = llama.memorySeqPosMax(memory, source);
        int copyMin = Math.max(from, sourceMin);
        int copyMax = to < 0 ? sourceMax : Math.min(to - 1, sourceMax);
        if (sourceMax >= 0 && copyMin <= copyMax && copyMin <= targetMax && targetMin <= copyMax) {
            throw new IllegalArgumentException("sequence " + target + " already holds positions [" + targetMin + ", "
                    + targetMax + "]: remove them before copying [" + copyMin + ", " + copyMax + "] of sequence " + source);
        }
    }

    @Override
    public void keepOnly(int sequence) {
        synchronized (context.lock()) {
            context.ensureOpen();
            context.checkSequence(sequence);
            llama.memorySeqKeep(memory, sequence);
            ledger.keepOnly(sequence);
        }
    }

    @Override
    public void clear() {
        synchronized (context.lock()) {
            context.ensureOpen();
            llama.memoryClear(memory, true);
            ledger.clear();
        }
    }

    @Override
    public int minPosition(int sequence) {
        synchronized (context.lock()) {
            context.ensureOpen();
            context.checkSequence(sequence);
            return llama.memorySeqPosMin(memory, sequence);
        }
    }

    @Override
    public int maxPosition(int sequence) {
        synchronized (context.lock()) {
            context.ensureOpen();
            context.checkSequence(sequence);
            return llama.memorySeqPosMax(memory, sequence);
        }
    }

    @Override
    public boolean supportsPartialRemoval() {
        return kind == MemoryKind.ATTENTION || kind == MemoryKind.SLIDING_WINDOW;
    }

    @Override
    public Snapshot save(int sequence, Snapshot.Kind snapshotKind) throws BackendException {
        synchronized (context.lock()) {
            context.ensureOpen();
            context.checkSequence(sequence);
            int flags = flags(snapshotKind);
            MemorySegment ctx = context.handle();
            Natives.clearNativeErrors();
            long size = llama.stateSeqGetSizeExt(ctx, sequence, flags);
            if (size == 0) {
                throw new BackendException(Natives.withNativeErrors("cannot size the state of sequence " + sequence));
            }
            Arena arena = Arena.ofShared();
            try {
                MemorySegment data = arena.allocate(size, 16);
                long written = llama.stateSeqGetDataExt(ctx, data, size, sequence, flags);
                if (written == 0) {
                    throw new BackendException(Natives.withNativeErrors("cannot save the state of sequence " + sequence));
                }
                return new GgmlSnapshot(context.model(), snapshotKind, llama.memorySeqPosMin(memory, sequence),
                        llama.memorySeqPosMax(memory, sequence), arena, data.asSlice(0, written));
            } catch (BackendException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    /**
     * Replaces a sequence with a snapshot of this model. On failure (too few free cells) libllama
     * leaves the sequence empty.
     */
    @Override
    public boolean restore(int sequence, Snapshot snapshot) {
        synchronized (context.lock()) {
            context.ensureOpen();
            context.checkSequence(sequence);
            if (!(snapshot instanceof GgmlSnapshot saved) || saved.owner() != context.model()) {
                // Another model's bytes can trip assertions in libllama's state reader.
                throw new IllegalArgumentException("the snapshot was not saved from this model by the ggml backend");
            }
            if (!saved.isOpen()) {
                throw new IllegalStateException("the snapshot is closed");
            }
            int flags;
            try {
                flags = flags(saved.kind());
            } catch (BackendException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            MemorySegment data = saved.writable();
            Natives.clearNativeErrors();
            boolean restored = llama.stateSeqSetDataExt(context.handle(), data, data.byteSize(), sequence, flags) > 0;
            if (saved.kind() == Snapshot.Kind.FULL) {
                // Whatever happened, the sequence's KV cells are what libllama now reports.
                ledger.removeSequence(sequence);
                int max = llama.memorySeqPosMax(memory, sequence);
                if (max >= 0) {
                    ledger.addRange(sequence, Math.max(0, llama.memorySeqPosMin(memory, sequence)), max);
                }
            }
            if (!restored) {
                LOG.log(Level.DEBUG, () -> Natives.withNativeErrors("snapshot did not fit sequence " + sequence));
            }
            return restored;
        }
    }

    private int flags(Snapshot.Kind snapshotKind) throws BackendException {
        if (snapshotKind == Snapshot.Kind.FULL) {
            return 0;
        }
        if (kind != MemoryKind.RECURRENT && kind != MemoryKind.HYBRID) {
            throw new BackendException("a " + kind + " model keeps no recurrent state: save FULL snapshots");
        }
        return Llama.STATE_SEQ_FLAGS_PARTIAL_ONLY;
    }

    /**
     * KV cells in use, shared prefixes counted once. For a purely recurrent model, which has one
     * state per sequence instead, the sequences holding a state.
     */
    @Override
    public int cellsUsed() {
        synchronized (context.lock()) {
            context.ensureOpen();
            if (kind != MemoryKind.RECURRENT) {
                return ledger.used();
            }
            int used = 0;
            for (int s = 0; s < context.maxSequences(); s++) {
                if (llama.memorySeqPosMax(memory, s) >= 0) {
                    used++;
                }
            }
            return used;
        }
    }

    @Override
    public int cellsTotal() {
        return kind == MemoryKind.RECURRENT ? context.maxSequences() : context.contextLength();
    }

    /**
     * Brings the ledger up to date after {@code llama_decode}: all of the batch on success, nothing
     * when libllama rolled back (no slot, invalid batch), and the micro-batches that made it in when
     * an abort or error stopped it half-way (libllama keeps those).
     */
    void afterDecode(Batch batch, int rc) {
        int n = batch.size();
        if (rc == 0) {
            for (int i = 0; i < n; i++) {
                ledger.add(batch.sequence(i), batch.position(i));
            }
        } else if (rc == 2 || rc < -1) {
            Map<Integer, Integer> maxBySequence = new HashMap<>();
            for (int i = 0; i < n; i++) {
                int sequence = batch.sequence(i);
                int max = maxBySequence.computeIfAbsent(sequence, s -> llama.memorySeqPosMax(memory, s));
                if (batch.position(i) <= max) {
                    ledger.add(sequence, batch.position(i));
                }
            }
        }
    }

    private static void checkFrom(int from) {
        if (from < 0) {
            throw new IllegalArgumentException("negative start position " + from);
        }
    }
}
