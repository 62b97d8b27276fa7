package dev.mica.mlx;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import dev.mica.api.arch.StateLayout;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.graph.OwnedSnapshot;
import dev.mica.mlx.ffm.Mlx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Keys and values per sequence and layer, as MLX arrays {@code [1, kvHeads, length, dim]} holding
 * the sequence's consecutive positions {@code [start, start + length)}: mlx-lm's KV cache, one per
 * sequence. Arrays are immutable, so a step appends by building new arrays that stay pending
 * until the whole step succeeded; a failed or aborted step leaves every sequence as it was. A
 * prefix copy shares the source's buffers (a slice), like a unified KV cell pool would.
 *
 * <p>Removal works on either end of a sequence, not in its middle (that is refused, returning
 * false). Every method holds the context's lock; array work runs on the MLX thread.
 *
 * <p>A model with recurrent layers (hybrid) also keeps {@link MlxRecurrentState}, with the Java
 * backend's contract: the state cannot lose a tail, so such a removal is refused; only a whole
 * sequence can be copied; RECURRENT_ONLY snapshots carry the state alone, to be joined with the KV
 * the sequence still holds.
 */
final class MlxMemory implements SequenceMemory {
    private static final int MAGIC = 0x4D4C5832; // "MLX2"
    private static final long HEADER = 20;

    private final Object lock;
    private final Object owner;
    private final MlxRuntime rt;
    private final Mlx mlx;
    private final StateLayout layout;
    private final int size;
    private final int maxSequences;
    private final MemorySegment[][] keys, values, pendingKeys, pendingValues;
    private final int[] start, length;
    /** Null for a model without recurrent layers. */
    private final MlxRecurrentState recurrent;
    /** Per sequence: the last position the recurrent state has taken in, -1 when none. */
    private final int[] recurrentPos;

    MlxMemory(Object lock, Object owner, MlxRuntime rt, StateLayout layout, int size, int maxSequences) {
        this.lock = lock;
        this.owner = owner;
        this.rt = rt;
        this.mlx = rt.mlx();
        this.layout = layout;
        this.size = size;
        this.maxSequences = maxSequences;
        int layers = layout.layers().size();
        keys = new MemorySegment[layers][maxSequences];
        values = new MemorySegment[layers][maxSequences];
        pendingKeys = new MemorySegment[layers][maxSequences];
        pendingValues = new MemorySegment[layers][maxSequences];
        start = new int[maxSequences];
        length = new int[maxSequences];
        recurrent = layout.hasRecurrent() ? new MlxRecurrentState(mlx, layout, maxSequences) : null;
        recurrentPos = new int[maxSequences];
        Arrays.fill(recurrentPos, -1);
    }

    /** The recurrent state, for the ops of a recurrent layer (MLX thread, in a step). */
    MlxRecurrentState recurrent(int layer) {
        StateLayout.Recurrent r = recurrent == null ? null : recurrent.spec(layer);
        if (r == null) {
            throw new IllegalArgumentException("layer " + layer + " keeps no recurrent state: the state layout says "
                    + (layer >= 0 && layer < layout.layers().size() ? layout.layers().get(layer) : "no such layer"));
        }
        return recurrent;
    }

    StateLayout.Attention attentionLayer(int layer) {
        if (layer >= 0 && layer < layout.layers().size() && layout.layers().get(layer) instanceof StateLayout.Attention a) return a;
        throw new IllegalArgumentException("layer " + layer + " keeps no KV: the state layout says "
                + (layer >= 0 && layer < layout.layers().size() ? layout.layers().get(layer) : "no such layer"));
    }

    // ---------------------------------------------------------------- decoding (MLX thread, lock held)

    /** The sequence's keys and values with this step's appended: {@code [1, kvHeads, length, dim]} each, pending. */
    MemorySegment[] append(int layer, int sequence, MemorySegment k, MemorySegment v) {
        if (pendingKeys[layer][sequence] != null) throw new IllegalStateException("layer " + layer + " attended twice in one step");
        pendingKeys[layer][sequence] = join(keys[layer][sequence], k);
        pendingValues[layer][sequence] = join(values[layer][sequence], v);
        return new MemorySegment[] {pendingKeys[layer][sequence], pendingValues[layer][sequence]};
    }

    /** A new array the memory owns (a fresh handle even when nothing is held yet). */
    private MemorySegment join(MemorySegment held, MemorySegment added) {
        if (held == null) return mlx.op("mlx_contiguous", added, false);
        MemorySegment vec = mlx.vector(List.of(held, added));
        try {
            return mlx.op("mlx_concatenate_axis", vec, 2);
        } finally {
            mlx.invoke("mlx_vector_array_free", vec);
        }
    }

    /** The pending arrays, to evaluate together with the logits. */
    List<MemorySegment> pending() {
        List<MemorySegment> out = new ArrayList<>();
        for (int l = 0; l < keys.length; l++) {
            for (int s = 0; s < maxSequences; s++) {
                if (pendingKeys[l][s] != null) {
                    out.add(pendingKeys[l][s]);
                    out.add(pendingValues[l][s]);
                }
            }
        }
        if (recurrent != null) recurrent.addPending(out);
        return out;
    }

    void commit(MlxStep step) {
        for (int l = 0; l < keys.length; l++) {
            for (int s = 0; s < maxSequences; s++) {
                if (pendingKeys[l][s] == null) continue;
                mlx.free(keys[l][s]);
                mlx.free(values[l][s]);
                keys[l][s] = pendingKeys[l][s];
                values[l][s] = pendingValues[l][s];
                pendingKeys[l][s] = pendingValues[l][s] = null;
            }
        }
        step.groups().forEach((s, rows) -> {
            if (length[s] == 0) start[s] = step.positions()[rows[0]];
            length[s] += rows.length;
            if (recurrent != null) recurrentPos[s] = step.positions()[rows[rows.length - 1]];
        });
        if (recurrent != null) recurrent.commit();
    }

    void rollback() {
        for (int l = 0; l < keys.length; l++) {
            for (int s = 0; s < maxSequences; s++) {
                mlx.free(pendingKeys[l][s]);
                mlx.free(pendingValues[l][s]);
                pendingKeys[l][s] = pendingValues[l][s] = null;
            }
        }
        if (recurrent != null) recurrent.rollback();
    }

    boolean fits(int tokens) {
        return cellsUsed() + tokens <= size;
    }

    /** As libllama: a sequence's next token follows its last, and a batch's rows of one sequence follow each other. */
    void checkPositions(int[] positions, int[] sequences) {
        int[] last = new int[maxSequences];
        boolean[] seen = new boolean[maxSequences];
        for (int i = 0; i < positions.length; i++) {
            int s = sequences[i];
            if (!seen[s]) {
                int max = maxPosition(s);
                if (max >= 0 && positions[i] != max + 1) {
                    throw new IllegalArgumentException("row " + i + ": sequence " + s + " holds positions up to " + max
                            + ", so its next token must be at " + (max + 1) + ", not " + positions[i]);
                }
                int kvEnd = length[s] == 0 ? -1 : start[s] + length[s];
                if (kvEnd >= 0 && positions[i] != kvEnd) {
                    throw new IllegalArgumentException("sequence " + s + " holds KV up to position " + (kvEnd - 1) + " past its recurrent"
                            + " state: remove positions from " + positions[i] + " on before decoding there");
                }
                seen[s] = true;
            } else if (positions[i] != last[s] + 1) {
                throw new IllegalArgumentException("row " + i + ": positions of sequence " + s + " must follow each other in the batch ("
                        + last[s] + " then " + positions[i] + ")");
            }
            last[s] = positions[i];
        }
    }

    /** Frees every array; the context calls it on close. */
    void free() {
        synchronized (lock) {
            rt.run(() -> {
                rollback();
                for (int s = 0; s < maxSequences; s++) drop(s);
                if (recurrent != null) recurrent.free();
            });
        }
    }

    // ---------------------------------------------------------------- SequenceMemory

    private void checkSequence(int sequence) {
        if (sequence < 0 || sequence >= maxSequences) {
            throw new IllegalArgumentException("sequence " + sequence + " is outside [0, " + maxSequences + ")");
        }
    }

    private void drop(int s) {
        for (int l = 0; l < keys.length; l++) {
            mlx.free(keys[l][s]);
            mlx.free(values[l][s]);
            keys[l][s] = values[l][s] = null;
        }
        start[s] = length[s] = 0;
        resetRecurrent(s);
    }

    private void resetRecurrent(int s) {
        if (recurrent == null) return;
        recurrent.reset(s);
        recurrentPos[s] = -1;
    }

    /** Keeps positions {@code [from, to)} of what sequence {@code s} holds (on the MLX thread). */
    private void keep(int s, int from, int to) {
        for (int l = 0; l < keys.length; l++) {
            MemorySegment k = keys[l][s], v = values[l][s];
            if (k == null) continue;
            keys[l][s] = slice(k, from - start[s], to - start[s]);
            values[l][s] = slice(v, from - start[s], to - start[s]);
            mlx.free(k);
            mlx.free(v);
        }
        start[s] = from;
        length[s] = to - from;
    }

    private MemorySegment slice(MemorySegment kv, int from, int to) {
        int[] shape = mlx.shape(kv);
        int[] lo = {0, 0, from, 0}, hi = {shape[0], shape[1], to, shape[3]};
        MemorySegment a = mlx.scratchInts(lo), b = mlx.scratchInts(hi), c = mlx.scratchInts(new int[] {1, 1, 1, 1});
        return mlx.op("mlx_slice", kv, a, 4L, b, 4L, c, 4L);
    }

    @Override
    public boolean removeRange(int sequence, int from, int to) {
        synchronized (lock) {
            checkSequence(sequence);
            if (from < 0) throw new IllegalArgumentException("negative start position " + from);
            int lo = Math.max(from, start[sequence]);
            int end = start[sequence] + length[sequence];
            int hi = to < 0 ? end : Math.min(to, end);
            int tail = recurrentPos[sequence];
            // As the Java backend (and libllama): the recurrent state cannot lose a tail.
            if (recurrent != null && tail >= 0 && from > 0 && from <= tail && (to < 0 || to > tail)) return false;
            boolean reset = recurrent != null && from == 0 && (to < 0 || to > tail);
            boolean kv = length[sequence] > 0 && hi > lo;
            if (kv && lo > start[sequence] && hi < end) return false;   // a hole: the arrays hold consecutive positions only
            if (reset) rt.run(() -> resetRecurrent(sequence));
            if (!kv) return true;
            if (lo == start[sequence] && hi == end) {
                rt.run(() -> drop(sequence));
            } else if (hi == end) {
                rt.run(() -> keep(sequence, start[sequence], lo));
            } else if (lo == start[sequence]) {
                rt.run(() -> keep(sequence, hi, end));
            } else {
                return false;   // a hole: the arrays hold consecutive positions only
            }
            return true;
        }
    }

    @Override
    public void copy(int source, int target, int from, int to) {
        synchronized (lock) {
            checkSequence(source);
            checkSequence(target);
            if (from < 0) throw new IllegalArgumentException("negative start position " + from);
            if (source == target) return;
            if (recurrent != null && !(from == 0 && to < 0)) {
                throw new IllegalArgumentException("a model with recurrent layers cannot copy part of a sequence: copy the whole"
                        + " sequence (from 0, to -1) or restore a snapshot");
            }
            int lo = Math.max(from, start[source]), hi = Math.min(to < 0 ? Integer.MAX_VALUE : to, start[source] + length[source]);
            if (length[source] == 0 || hi <= lo) return;
            if (length[target] > 0) {
                throw new IllegalArgumentException("sequence " + target + " already holds positions [" + start[target] + ", "
                        + (start[target] + length[target] - 1) + "]: the MLX backend copies into an empty sequence only");
            }
            rt.run(() -> {
                for (int l = 0; l < keys.length; l++) {
                    if (keys[l][source] == null) continue;
                    keys[l][target] = slice(keys[l][source], lo - start[source], hi - start[source]);
                    values[l][target] = slice(values[l][source], lo - start[source], hi - start[source]);
                }
                if (recurrent != null) recurrent.copy(source, target);
            });
            recurrentPos[target] = recurrentPos[source];
            start[target] = lo;
            length[target] = hi - lo;
        }
    }

    @Override
    public void keepOnly(int sequence) {
        synchronized (lock) {
            checkSequence(sequence);
            rt.run(() -> {
                for (int s = 0; s < maxSequences; s++) if (s != sequence) drop(s);
            });
        }
    }

    @Override
    public void clear() {
        synchronized (lock) {
            rt.run(() -> {
                for (int s = 0; s < maxSequences; s++) drop(s);
            });
        }
    }

    @Override
    public int minPosition(int sequence) {
        synchronized (lock) {
            checkSequence(sequence);
            return length[sequence] == 0 ? -1 : start[sequence];
        }
    }

    @Override
    public int maxPosition(int sequence) {
        synchronized (lock) {
            checkSequence(sequence);
            int max = length[sequence] == 0 ? -1 : start[sequence] + length[sequence] - 1;
            return recurrent == null ? max : Math.min(max, recurrentPos[sequence]);
        }
    }

    /** At either end of a sequence, a range in its middle refused (see the class comment); never for a hybrid. */
    @Override
    public boolean supportsPartialRemoval() {
        return recurrent == null;
    }

    @Override
    public int cellsUsed() {
        synchronized (lock) {
            int n = 0;
            for (int l : length) n += l;
            return n;
        }
    }

    @Override
    public int cellsTotal() {
        return size;
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * Copied to host memory: {@code MAGIC, start, length, layers with KV, recurrentPos}, then per
     * such layer K then V floats (FULL only), then the recurrent state (see {@link MlxRecurrentState#read}).
     */
    @Override
    public Snapshot save(int sequence, Snapshot.Kind kind) throws BackendException {
        synchronized (lock) {
            checkSequence(sequence);
            boolean full = kind == Snapshot.Kind.FULL;
            if (!full && recurrent == null) throw new BackendException("this model keeps no recurrent state: save FULL snapshots");
            int layers = keys.length;
            List<float[]> data = rt.call(() -> {
                List<float[]> out = new ArrayList<>();
                for (int l = 0; l < layers && full; l++) {
                    if (keys[l][sequence] == null) continue;
                    out.add(mlx.floats(keys[l][sequence]));
                    out.add(mlx.floats(values[l][sequence]));
                }
                if (recurrent != null) out.add(recurrent.read(sequence));
                return out;
            });
            int kvLayers = (data.size() - (recurrent == null ? 0 : 1)) / 2;
            long bytes = HEADER;
            for (float[] f : data) bytes += 4L * f.length;
            Arena arena = Arena.ofShared();
            MemorySegment seg = arena.allocate(bytes, 16);
            int[] header = {MAGIC, full ? start[sequence] : 0, full ? length[sequence] : 0, kvLayers, recurrentPos[sequence]};
            for (int i = 0; i < header.length; i++) seg.set(JAVA_INT_UNALIGNED, 4L * i, header[i]);
            long at = HEADER;
            for (float[] f : data) {
                MemorySegment.copy(f, 0, seg, JAVA_FLOAT_UNALIGNED, at, f.length);
                at += 4L * f.length;
            }
            int tokens = !full ? recurrentPos[sequence] + 1 : length[sequence] == 0 ? 0 : start[sequence] + length[sequence];
            return new OwnedSnapshot(owner, kind, tokens, arena, seg);
        }
    }

    /**
     * A FULL snapshot replaces the sequence (left empty when it does not fit); a RECURRENT_ONLY one
     * replaces only the recurrent state, after which the KV tail past it can be removed.
     */
    @Override
    public boolean restore(int sequence, Snapshot snapshot) {
        synchronized (lock) {
            checkSequence(sequence);
            if (!(snapshot instanceof OwnedSnapshot saved) || saved.owner() != owner) {
                throw new IllegalArgumentException("the snapshot was not saved from this model by the mlx backend");
            }
            boolean full = saved.kind() == Snapshot.Kind.FULL;
            if (!full && recurrent == null) throw new IllegalArgumentException("this model keeps no recurrent state");
            MemorySegment data = saved.data();
            int first = data.get(JAVA_INT_UNALIGNED, 4), n = data.get(JAVA_INT_UNALIGNED, 8), layers = data.get(JAVA_INT_UNALIGNED, 12);
            int savedPos = data.get(JAVA_INT_UNALIGNED, 16);
            if (full) {
                rt.run(() -> drop(sequence));
                if (n == 0 && savedPos < 0) return true;
                if (cellsUsed() + n > size || (n > 0 && layers != attentionLayers())) return false;
            }
            rt.run(() -> {
                long at = HEADER;
                for (int l = 0; l < keys.length && full && n > 0; l++) {
                    if (!(layout.layers().get(l) instanceof StateLayout.Attention a)) continue;
                    int[] kShape = {1, a.kvHeads(), n, a.keyDim()}, vShape = {1, a.kvHeads(), n, a.valueDim()};
                    long kBytes = 4L * a.kvHeads() * n * a.keyDim(), vBytes = 4L * a.kvHeads() * n * a.valueDim();
                    keys[l][sequence] = mlx.array(data.asSlice(at, kBytes), kShape, Mlx.FLOAT32);
                    at += kBytes;
                    values[l][sequence] = mlx.array(data.asSlice(at, vBytes), vShape, Mlx.FLOAT32);
                    at += vBytes;
                }
                if (recurrent != null) recurrent.write(sequence, data.asSlice(at, 4 * recurrent.floats()));
            });
            if (full) {
                start[sequence] = first;
                length[sequence] = n;
            }
            if (recurrent != null) recurrentPos[sequence] = savedPos;
            return true;
        }
    }

    private int attentionLayers() {
        return (int) layout.layers().stream().filter(l -> l instanceof StateLayout.Attention).count();
    }
}
