package dev.mica.cache;

import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test fixture with llama.cpp's unified-KV semantics: a cell holds one token at one position and
 * belongs to a set of sequences; a copy adds a sequence to existing cells, and a cell is free once
 * no sequence holds it. Without partial removal (a recurrent model) only whole sequences go or copy.
 * Each sequence also knows its tokens, so a test can check the cache never mixes them up.
 */
final class UnifiedKv implements SequenceMemory {
    private final int total;
    private final boolean partial;
    /** Per sequence: position → cell id. */
    private final List<Map<Integer, Integer>> sequences = new ArrayList<>();
    private final Map<Integer, Integer> cellToken = new HashMap<>();
    private final Map<Integer, Integer> cellRefs = new HashMap<>();
    private int nextCell;
    int snapshotsOpen;

    UnifiedKv(int total, int sequences, boolean partial) {
        this.total = total;
        this.partial = partial;
        for (int i = 0; i < sequences; i++) this.sequences.add(new HashMap<>());
    }

    /** What a decode does: the sequence gets new cells for tokens at positions [from, from + n). */
    void decode(int seq, int from, int[] tokens, int n) {
        Map<Integer, Integer> s = sequences.get(seq);
        if (s.size() != from) throw new AssertionError("sequence " + seq + " holds " + s.size() + " positions, decode starts at " + from);
        for (int i = 0; i < n; i++) {
            if (cellsUsed() >= total) throw new AssertionError("out of KV cells");
            int cell = nextCell++;
            cellToken.put(cell, tokens[from + i]);
            cellRefs.put(cell, 1);
            s.put(from + i, cell);
        }
    }

    /** The tokens a sequence holds, by position. */
    int[] tokens(int seq) {
        Map<Integer, Integer> s = sequences.get(seq);
        int[] out = new int[s.size()];
        for (int p = 0; p < out.length; p++) {
            Integer cell = s.get(p);
            if (cell == null) throw new AssertionError("sequence " + seq + " has a hole at " + p);
            out[p] = cellToken.get(cell);
        }
        return out;
    }

    private void drop(int seq, int pos) {
        Integer cell = sequences.get(seq).remove(pos);
        if (cell != null && cellRefs.merge(cell, -1, Integer::sum) == 0) {
            cellRefs.remove(cell);
            cellToken.remove(cell);
        }
    }

    @Override
    public boolean removeRange(int sequence, int from, int to) {
        Map<Integer, Integer> s = sequences.get(sequence);
        int end = to < 0 ? Integer.MAX_VALUE : to;
        boolean whole = from <= 0 && (to < 0 || to > s.size());
        if (!partial && !whole && !s.isEmpty()) return false;
        for (Integer p : List.copyOf(s.keySet())) {
            if (p >= from && p < end) drop(sequence, p);
        }
        return true;
    }

    @Override
    public void copy(int source, int target, int from, int to) {
        Map<Integer, Integer> s = sequences.get(source);
        int end = to < 0 ? Integer.MAX_VALUE : to;
        if (!partial && (from > 0 || end < s.size())) throw new IllegalArgumentException("a recurrent state copies whole");
        for (Map.Entry<Integer, Integer> e : s.entrySet()) {
            if (e.getKey() < from || e.getKey() >= end) continue;
            drop(target, e.getKey());
            sequences.get(target).put(e.getKey(), e.getValue());
            cellRefs.merge(e.getValue(), 1, Integer::sum);
        }
    }

    @Override
    public void keepOnly(int sequence) {
        for (int s = 0; s < sequences.size(); s++) {
            if (s != sequence) removeRange(s, 0, -1);
        }
    }

    @Override
    public void clear() {
        for (int s = 0; s < sequences.size(); s++) removeRange(s, 0, -1);
    }

    @Override
    public int minPosition(int sequence) {
        return sequences.get(sequence).keySet().stream().mapToInt(Integer::intValue).min().orElse(-1);
    }

    @Override
    public int maxPosition(int sequence) {
        return sequences.get(sequence).keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
    }

    @Override
    public boolean supportsPartialRemoval() {
        return partial;
    }

    @Override
    public Snapshot save(int sequence, Snapshot.Kind kind) {
        int[] tokens = tokens(sequence);
        Arena arena = Arena.ofShared();
        MemorySegment data = arena.allocate(ValueLayout.JAVA_INT, Math.max(1, tokens.length));
        MemorySegment.copy(tokens, 0, data, ValueLayout.JAVA_INT, 0, tokens.length);
        snapshotsOpen++;
        return new Snapshot() {
            private boolean closed;

            @Override
            public Kind kind() {
                return Kind.FULL;
            }

            @Override
            public int tokens() {
                return tokens.length;
            }

            @Override
            public MemorySegment data() {
                return data;
            }

            @Override
            public void close() {
                if (closed) throw new AssertionError("a snapshot closed twice");
                closed = true;
                snapshotsOpen--;
                arena.close();
            }
        };
    }

    @Override
    public boolean restore(int sequence, Snapshot snapshot) {
        int[] tokens = snapshot.data().asSlice(0, 4L * snapshot.tokens()).toArray(ValueLayout.JAVA_INT);
        removeRange(sequence, 0, -1);
        decode(sequence, 0, tokens, tokens.length);
        return true;
    }

    @Override
    public int cellsUsed() {
        return cellRefs.size();
    }

    @Override
    public int cellsTotal() {
        return total;
    }

    @Override
    public String toString() {
        return "UnifiedKv" + Arrays.toString(sequences.stream().mapToInt(Map::size).toArray());
    }
}
