package dev.mica.backend.java;

import dev.mica.api.arch.StateLayout;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.graph.OwnedSnapshot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sequences of a context, as llama.cpp keeps them: one pool of KV cells shared by all
 * sequences (a cell holds a position and the set of sequences that see it, so a copied prefix is
 * stored once), and per sequence a fixed recurrent state for each recurrent layer.
 *
 * <p>Recurrent state changes in place token by token, so a decode works on copies of the states
 * it touches and swaps them in only when the whole batch succeeded: an aborted or failed decode
 * leaves every sequence as it was. For the same reason a recurrent sequence cannot drop a tail:
 * {@link #removeRange} refuses, changing nothing, as libllama does.
 *
 * <p>Every method holds the context's lock.
 */
final class JavaMemory implements SequenceMemory {
    private static final int MAGIC = 0x4D4A5331; // "MJS1"
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Object lock;
    private final Object owner;
    private final StateLayout layout;
    private final int size;
    private final int maxSequences;
    private final boolean recurrent;

    private final int[] cellPos;
    private final long[] cellSeqs;
    private int used;
    private int head;

    private final float[][] keys;
    private final float[][] values;

    /** Committed recurrent state per layer and sequence, and the copies a running decode writes. */
    private final float[][][] conv, delta, convWork, deltaWork;
    /** Per sequence: the last position its recurrent state has taken in, -1 when it holds none. */
    private final int[] recurrentPos;

    JavaMemory(Object lock, Object owner, StateLayout layout, int size, int maxSequences) {
        if (maxSequences > 64) throw new IllegalArgumentException("the Java backend holds at most 64 sequences per context, not " + maxSequences);
        this.lock = lock;
        this.owner = owner;
        this.layout = layout;
        this.size = size;
        this.maxSequences = maxSequences;
        this.recurrent = layout.hasRecurrent();
        this.cellPos = new int[size];
        Arrays.fill(cellPos, -1);
        this.cellSeqs = new long[size];
        int layers = layout.layers().size();
        keys = new float[layers][];
        values = new float[layers][];
        conv = new float[layers][][];
        delta = new float[layers][][];
        convWork = new float[layers][][];
        deltaWork = new float[layers][][];
        for (int l = 0; l < layers; l++) {
            switch (layout.layers().get(l)) {
                case StateLayout.Attention a -> {
                    keys[l] = new float[Math.multiplyExact(size, a.kvHeads() * a.keyDim())];
                    values[l] = new float[Math.multiplyExact(size, a.kvHeads() * a.valueDim())];
                }
                case StateLayout.Recurrent r -> {
                    conv[l] = new float[maxSequences][Math.toIntExact(r.convFloats())];
                    delta[l] = new float[maxSequences][Math.toIntExact(r.stateFloats())];
                    convWork[l] = new float[maxSequences][];
                    deltaWork[l] = new float[maxSequences][];
                }
                case StateLayout.None n -> { }
            }
        }
        recurrentPos = new int[maxSequences];
        Arrays.fill(recurrentPos, -1);
    }

    int maxSequences() {
        return maxSequences;
    }

    StateLayout.Attention attentionLayer(int layer) {
        if (layer >= 0 && layer < layout.layers().size() && layout.layers().get(layer) instanceof StateLayout.Attention a) return a;
        throw new IllegalArgumentException("layer " + layer + " keeps no KV: the state layout says " + describe(layer));
    }

    StateLayout.Recurrent recurrentLayer(int layer) {
        if (layer >= 0 && layer < layout.layers().size() && layout.layers().get(layer) instanceof StateLayout.Recurrent r) return r;
        throw new IllegalArgumentException("layer " + layer + " keeps no recurrent state: the state layout says " + describe(layer));
    }

    private String describe(int layer) {
        return layer >= 0 && layer < layout.layers().size() ? layout.layers().get(layer).toString() : "no such layer";
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    int cellPosition(int cell) {
        return cellPos[cell];
    }

    // ---------------------------------------------------------------- decoding

    /** Free cells for n tokens, or null when there are not enough. Nothing is taken until {@link #place}. */
    int[] findCells(int n) {
        if (size - used < n) return null;
        int[] out = new int[n];
        int found = 0;
        for (int i = 0; i < size && found < n; i++) {
            int c = (head + i) % size;
            if (cellPos[c] < 0) out[found++] = c;
        }
        return found == n ? out : null;
    }

    /** Takes the cells for a batch: they are visible to attention from now on. */
    void place(int[] cells, int[] positions, int[] sequences) {
        for (int i = 0; i < cells.length; i++) {
            cellPos[cells[i]] = positions[i];
            cellSeqs[cells[i]] = 1L << sequences[i];
        }
        used += cells.length;
        if (cells.length > 0) head = (cells[cells.length - 1] + 1) % size;
    }

    /** Undoes {@link #place} and drops the recurrent copies of a decode that did not finish. */
    void rollback(int[] cells) {
        for (int c : cells) {
            cellPos[c] = -1;
            cellSeqs[c] = 0;
        }
        used -= cells.length;
        discardWork();
    }

    /** Makes a finished decode's recurrent states the sequences' own. */
    void commit(int[] positions, int[] sequences) {
        for (int l = 0; l < conv.length; l++) {
            if (conv[l] == null) continue;
            for (int s = 0; s < maxSequences; s++) {
                if (convWork[l][s] != null) {
                    float[] old = conv[l][s];
                    conv[l][s] = convWork[l][s];
                    convWork[l][s] = null;
                    spare(old);
                }
                if (deltaWork[l][s] != null) {
                    float[] old = delta[l][s];
                    delta[l][s] = deltaWork[l][s];
                    deltaWork[l][s] = null;
                    spare(old);
                }
            }
        }
        if (recurrent) {
            for (int i = 0; i < positions.length; i++) recurrentPos[sequences[i]] = Math.max(recurrentPos[sequences[i]], positions[i]);
        }
    }

    /** Arrays freed by commits, reused as the next decode's working copies. */
    private final List<float[]> spares = new ArrayList<>();

    private void spare(float[] array) {
        if (spares.size() < 4 * conv.length) spares.add(array);
    }

    private float[] copyOf(float[] committed) {
        for (int i = spares.size() - 1; i >= 0; i--) {
            if (spares.get(i).length == committed.length) {
                float[] a = spares.remove(i);
                System.arraycopy(committed, 0, a, 0, a.length);
                return a;
            }
        }
        return committed.clone();
    }

    private void discardWork() {
        for (int l = 0; l < conv.length; l++) {
            if (conv[l] == null) continue;
            Arrays.fill(convWork[l], null);
            Arrays.fill(deltaWork[l], null);
        }
    }

    /** The working copy of a sequence's convolution state in this decode. */
    float[] convState(int layer, int sequence) {
        recurrentLayer(layer);
        float[] w = convWork[layer][sequence];
        if (w == null) convWork[layer][sequence] = w = copyOf(conv[layer][sequence]);
        return w;
    }

    /** The working copy of a sequence's delta-rule state in this decode. */
    float[] deltaState(int layer, int sequence) {
        recurrentLayer(layer);
        float[] w = deltaWork[layer][sequence];
        if (w == null) deltaWork[layer][sequence] = w = copyOf(delta[layer][sequence]);
        return w;
    }

    /** The cells a sequence holds, in position order. */
    int[] cellsByPosition(int sequence) {
        long bit = 1L << sequence;
        int n = 0;
        for (int c = 0; c < size; c++) if ((cellSeqs[c] & bit) != 0) n++;
        long[] packed = new long[n];
        n = 0;
        for (int c = 0; c < size; c++) if ((cellSeqs[c] & bit) != 0) packed[n++] = ((long) cellPos[c] << 32) | c;
        Arrays.sort(packed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = (int) packed[i];
        return out;
    }

    private int attentionMax(int sequence) {
        long bit = 1L << sequence;
        int max = -1;
        for (int c = 0; c < size; c++) if ((cellSeqs[c] & bit) != 0) max = Math.max(max, cellPos[c]);
        return max;
    }

    // ---------------------------------------------------------------- SequenceMemory

    private void checkSequence(int sequence) {
        if (sequence < 0 || sequence >= maxSequences) {
            throw new IllegalArgumentException("sequence " + sequence + " is outside [0, " + maxSequences + ")");
        }
    }

    private void dropCells(int sequence, int from, int to) {
        long bit = 1L << sequence;
        for (int c = 0; c < size; c++) {
            if ((cellSeqs[c] & bit) != 0 && cellPos[c] >= from && cellPos[c] < to) {
                cellSeqs[c] &= ~bit;
                if (cellSeqs[c] == 0) {
                    cellPos[c] = -1;
                    used--;
                }
            }
        }
    }

    private void resetRecurrent(int sequence) {
        if (!recurrent) return;
        for (int l = 0; l < conv.length; l++) {
            if (conv[l] == null) continue;
            Arrays.fill(conv[l][sequence], 0f);
            Arrays.fill(delta[l][sequence], 0f);
        }
        recurrentPos[sequence] = -1;
    }

    /**
     * As libllama: a recurrent state cannot lose a tail, so a range that starts after 0 and
     * reaches the state's last position is refused; a range from 0 past it clears the state; a
     * range that misses it leaves it, and only KV cells go.
     */
    @Override
    public boolean removeRange(int sequence, int from, int to) {
        synchronized (lock) {
            checkSequence(sequence);
            if (from < 0) throw new IllegalArgumentException("negative start position " + from);
            int end = to < 0 ? Integer.MAX_VALUE : to;
            if (end <= from) return true;
            if (recurrent) {
                int tail = recurrentPos[sequence];
                if (tail >= 0 && from > 0 && from <= tail && end > tail) return false;
                if (from == 0 && end > tail) resetRecurrent(sequence);
            }
            dropCells(sequence, from, end);
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
            int end = to < 0 ? Integer.MAX_VALUE : to;
            if (recurrent && !(from == 0 && to < 0)) {
                throw new IllegalArgumentException("a model with recurrent layers cannot copy part of a sequence: copy the whole"
                        + " sequence (from 0, to -1) or restore a snapshot");
            }
            if (end <= from) return;
            long sBit = 1L << source, tBit = 1L << target;
            int tMin = Integer.MAX_VALUE, tMax = -1, cMin = Integer.MAX_VALUE, cMax = -1;
            for (int c = 0; c < size; c++) {
                if ((cellSeqs[c] & tBit) != 0) {
                    tMin = Math.min(tMin, cellPos[c]);
                    tMax = Math.max(tMax, cellPos[c]);
                }
                if ((cellSeqs[c] & sBit) != 0 && cellPos[c] >= from && cellPos[c] < end) {
                    cMin = Math.min(cMin, cellPos[c]);
                    cMax = Math.max(cMax, cellPos[c]);
                }
            }
            if (tMax >= 0 && cMax >= 0 && cMin <= tMax && tMin <= cMax) {
                throw new IllegalArgumentException("sequence " + target + " already holds positions [" + tMin + ", " + tMax
                        + "]: remove them before copying [" + cMin + ", " + cMax + "] of sequence " + source);
            }
            for (int c = 0; c < size; c++) {
                if ((cellSeqs[c] & sBit) != 0 && cellPos[c] >= from && cellPos[c] < end) cellSeqs[c] |= tBit;
            }
            if (recurrent) {
                for (int l = 0; l < conv.length; l++) {
                    if (conv[l] == null) continue;
                    System.arraycopy(conv[l][source], 0, conv[l][target], 0, conv[l][source].length);
                    System.arraycopy(delta[l][source], 0, delta[l][target], 0, delta[l][source].length);
                }
                recurrentPos[target] = recurrentPos[source];
            }
        }
    }

    @Override
    public void keepOnly(int sequence) {
        synchronized (lock) {
            checkSequence(sequence);
            for (int s = 0; s < maxSequences; s++) {
                if (s == sequence) continue;
                dropCells(s, 0, Integer.MAX_VALUE);
                resetRecurrent(s);
            }
        }
    }

    @Override
    public void clear() {
        synchronized (lock) {
            Arrays.fill(cellPos, -1);
            Arrays.fill(cellSeqs, 0);
            used = 0;
            head = 0;
            for (int s = 0; s < maxSequences; s++) resetRecurrent(s);
        }
    }

    @Override
    public int minPosition(int sequence) {
        synchronized (lock) {
            checkSequence(sequence);
            long bit = 1L << sequence;
            int min = Integer.MAX_VALUE;
            for (int c = 0; c < size; c++) if ((cellSeqs[c] & bit) != 0) min = Math.min(min, cellPos[c]);
            return min == Integer.MAX_VALUE ? -1 : min;
        }
    }

    /** For a model with recurrent layers, no further than its recurrent state has come. */
    @Override
    public int maxPosition(int sequence) {
        synchronized (lock) {
            checkSequence(sequence);
            int max = attentionMax(sequence);
            return recurrent ? Math.min(max, recurrentPos[sequence]) : max;
        }
    }

    @Override
    public boolean supportsPartialRemoval() {
        return !recurrent;
    }

    @Override
    public int cellsUsed() {
        synchronized (lock) {
            return used;
        }
    }

    @Override
    public int cellsTotal() {
        return size;
    }

    // ---------------------------------------------------------------- snapshots

    @Override
    public Snapshot save(int sequence, Snapshot.Kind kind) throws BackendException {
        synchronized (lock) {
            checkSequence(sequence);
            if (kind == Snapshot.Kind.RECURRENT_ONLY && !recurrent) {
                throw new BackendException("this model keeps no recurrent state: save FULL snapshots");
            }
            int[] cells = kind == Snapshot.Kind.FULL ? cellsByPosition(sequence) : new int[0];
            long bytes = 6L * Integer.BYTES + (long) cells.length * Integer.BYTES;
            for (int l = 0; l < layout.layers().size(); l++) {
                switch (layout.layers().get(l)) {
                    case StateLayout.Attention a when kind == Snapshot.Kind.FULL ->
                            bytes += (long) cells.length * a.kvHeads() * (a.keyDim() + a.valueDim()) * Float.BYTES;
                    case StateLayout.Recurrent r -> bytes += (r.convFloats() + r.stateFloats()) * Float.BYTES;
                    default -> { }
                }
            }
            Arena arena = Arena.ofShared();
            try {
                MemorySegment data = arena.allocate(bytes, 16);
                long at = 0;
                int tokens = kind == Snapshot.Kind.FULL
                        ? (cells.length == 0 ? 0 : cellPos[cells[cells.length - 1]] + 1)
                        : recurrentPos[sequence] + 1;
                for (int v : new int[] {MAGIC, kind.ordinal(), tokens, cells.length, recurrent ? recurrentPos[sequence] : -1,
                        layout.layers().size()}) {
                    data.set(INT, at, v);
                    at += 4;
                }
                for (int c : cells) {
                    data.set(INT, at, cellPos[c]);
                    at += 4;
                }
                for (int l = 0; l < layout.layers().size(); l++) {
                    switch (layout.layers().get(l)) {
                        case StateLayout.Attention a when kind == Snapshot.Kind.FULL -> {
                            int kRow = a.kvHeads() * a.keyDim(), vRow = a.kvHeads() * a.valueDim();
                            for (int c : cells) {
                                MemorySegment.copy(keys[l], c * kRow, data, FLOAT, at, kRow);
                                at += 4L * kRow;
                            }
                            for (int c : cells) {
                                MemorySegment.copy(values[l], c * vRow, data, FLOAT, at, vRow);
                                at += 4L * vRow;
                            }
                        }
                        case StateLayout.Recurrent r -> {
                            MemorySegment.copy(conv[l][sequence], 0, data, FLOAT, at, conv[l][sequence].length);
                            at += 4L * conv[l][sequence].length;
                            MemorySegment.copy(delta[l][sequence], 0, data, FLOAT, at, delta[l][sequence].length);
                            at += 4L * delta[l][sequence].length;
                        }
                        default -> { }
                    }
                }
                return new OwnedSnapshot(owner, kind, tokens, arena, data);
            } catch (RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    /**
     * A FULL snapshot replaces the sequence (left empty when its cells do not fit); a
     * RECURRENT_ONLY one replaces only the recurrent state, after which the KV tail past it can be
     * removed.
     */
    @Override
    public boolean restore(int sequence, Snapshot snapshot) {
        synchronized (lock) {
            checkSequence(sequence);
            if (!(snapshot instanceof OwnedSnapshot saved) || saved.owner() != owner) {
                throw new IllegalArgumentException("the snapshot was not saved from this model by the java backend");
            }
            MemorySegment data = saved.data();
            boolean full = saved.kind() == Snapshot.Kind.FULL;
            if (!full && !recurrent) throw new IllegalArgumentException("this model keeps no recurrent state");
            long at = 12;
            int n = data.get(INT, at);
            int savedRecurrentPos = data.get(INT, at + 4);
            at = 24;
            if (full) {
                dropCells(sequence, 0, Integer.MAX_VALUE);
                resetRecurrent(sequence);
                if (size - used < n) return false;
            }
            int[] cells = full ? findCells(n) : new int[0];
            int[] positions = new int[n];
            for (int i = 0; i < n; i++) {
                positions[i] = data.get(INT, at);
                at += 4;
            }
            if (full) {
                int[] seqs = new int[n];
                Arrays.fill(seqs, sequence);
                place(cells, positions, seqs);
            }
            for (int l = 0; l < layout.layers().size(); l++) {
                switch (layout.layers().get(l)) {
                    case StateLayout.Attention a when full -> {
                        int kRow = a.kvHeads() * a.keyDim(), vRow = a.kvHeads() * a.valueDim();
                        for (int c : cells) {
                            MemorySegment.copy(data, FLOAT, at, keys[l], c * kRow, kRow);
                            at += 4L * kRow;
                        }
                        for (int c : cells) {
                            MemorySegment.copy(data, FLOAT, at, values[l], c * vRow, vRow);
                            at += 4L * vRow;
                        }
                    }
                    case StateLayout.Recurrent r -> {
                        MemorySegment.copy(data, FLOAT, at, conv[l][sequence], 0, conv[l][sequence].length);
                        at += 4L * conv[l][sequence].length;
                        MemorySegment.copy(data, FLOAT, at, delta[l][sequence], 0, delta[l][sequence].length);
                        at += 4L * delta[l][sequence].length;
                    }
                    default -> { }
                }
            }
            if (recurrent) recurrentPos[sequence] = savedRecurrentPos;
            return true;
        }
    }

    /** Checks a batch's positions as libllama does, so both backends accept the same batches. */
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
                seen[s] = true;
            } else if (positions[i] != last[s] + 1) {
                throw new IllegalArgumentException("row " + i + ": positions of sequence " + s + " must follow each other in the batch ("
                        + last[s] + " then " + positions[i] + ")");
            }
            last[s] = positions[i];
        }
    }
}
