package dev.mica.ggml;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Counts the KV cells a context holds, which libllama's C API does not tell. The ledger mirrors what
 * the KV cache does with cells: a decoded token takes a new cell; a sequence copy in a unified cache
 * only tags existing cells with one more sequence (so a shared prefix costs its cells once); a
 * removal untags, and a cell with no sequence left is free. The prefix cache plans with this number,
 * so counting a shared prefix once per sequence would make it evict for nothing.
 *
 * <p>Not thread-safe: the owning context serializes access.
 */
final class CellLedger {
    /** One KV cell, shared by the sequences whose maps hold it. */
    private static final class Cell {
        int sequences;
    }

    private final Map<Integer, NavigableMap<Integer, Cell>> bySequence = new HashMap<>();
    private int used;

    /** Cells holding at least one sequence. */
    int used() {
        return used;
    }

    /** A decoded token: a new cell for {@code sequence} at {@code position}. */
    void add(int sequence, int position) {
        Cell cell = new Cell();
        cell.sequences = 1;
        used++;
        Cell replaced = positions(sequence).put(position, cell);
        if (replaced != null) {
            release(replaced);
        }
    }

    /** New cells for positions [from, toInclusive] of a sequence (a restored snapshot). */
    void addRange(int sequence, int from, int toInclusive) {
        for (int p = from; p <= toInclusive; p++) {
            add(sequence, p);
        }
    }

    /** Untags positions [from, to) of a sequence; {@code to} may be {@link Integer#MAX_VALUE}. */
    void remove(int sequence, int from, int to) {
        NavigableMap<Integer, Cell> positions = bySequence.get(sequence);
        if (positions == null || from >= to) {
            return;
        }
        NavigableMap<Integer, Cell> range = positions.subMap(from, true, to, false);
        for (Cell cell : range.values()) {
            release(cell);
        }
        range.clear();
        if (positions.isEmpty()) {
            bySequence.remove(sequence);
        }
    }

    /** Untags every position of a sequence. */
    void removeSequence(int sequence) {
        remove(sequence, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /** Unified cache copy: the target is tagged on the source's cells in [from, to); no new cells. */
    void share(int source, int target, int from, int to) {
        NavigableMap<Integer, Cell> positions = bySequence.get(source);
        if (positions == null || source == target || from >= to) {
            return;
        }
        NavigableMap<Integer, Cell> into = positions(target);
        for (Map.Entry<Integer, Cell> e : positions.subMap(from, true, to, false).entrySet()) {
            Cell cell = e.getValue();
            cell.sequences++;
            Cell replaced = into.put(e.getKey(), cell);
            if (replaced != null) {
                release(replaced);
            }
        }
        if (into.isEmpty()) {
            bySequence.remove(target);
        }
    }

    /**
     * Copy between per-sequence caches (kv_unified false): the target's stream is reset and
     * receives its own copy of every source cell.
     */
    void duplicate(int source, int target) {
        if (source == target) {
            return;
        }
        removeSequence(target);
        NavigableMap<Integer, Cell> positions = bySequence.get(source);
        if (positions != null) {
            for (int position : positions.keySet()) {
                add(target, position);
            }
        }
    }

    /** Drops every sequence but one; the cells it kept now belong to it alone. */
    void keepOnly(int sequence) {
        Iterator<Map.Entry<Integer, NavigableMap<Integer, Cell>>> it = bySequence.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Integer, NavigableMap<Integer, Cell>> e = it.next();
            if (e.getKey() != sequence) {
                e.getValue().values().forEach(this::release);
                it.remove();
            }
        }
    }

    void clear() {
        bySequence.clear();
        used = 0;
    }

    private NavigableMap<Integer, Cell> positions(int sequence) {
        return bySequence.computeIfAbsent(sequence, s -> new TreeMap<>());
    }

    private void release(Cell cell) {
        if (--cell.sequences == 0) {
            used--;
        }
    }
}
