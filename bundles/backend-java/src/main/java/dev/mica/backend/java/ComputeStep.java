package dev.mica.backend.java;

import dev.mica.api.arch.Step;
import java.util.Arrays;

/**
 * A batch as the forward pass sees it, plus what the memory ops need: the KV cell each row was
 * given, and for each row the cells of its sequence it may attend to (its own position and those
 * before it; all of them for a model with bidirectional attention), computed once per step and
 * shared by every layer.
 */
final class ComputeStep implements Step {
    private final JavaMemory memory;
    private final int[] tokens;
    private final int[] positions;
    private final int[] sequences;
    private final int[] cells;
    private final int[] outputs;
    private final boolean causal;
    /** Per row: its sequence's cells sorted by position, and how many of them it sees. */
    private int[][] visible;
    private int[] visibleCount;

    ComputeStep(JavaMemory memory, int[] tokens, int[] positions, int[] sequences, int[] cells, int[] outputs, boolean causal) {
        this.memory = memory;
        this.tokens = tokens;
        this.positions = positions;
        this.sequences = sequences;
        this.cells = cells;
        this.outputs = outputs;
        this.causal = causal;
    }

    @Override
    public int size() {
        return tokens.length;
    }

    @Override
    public int[] tokens() {
        return tokens;
    }

    @Override
    public int[] positions() {
        return positions;
    }

    @Override
    public int[] outputs() {
        return outputs;
    }

    JavaMemory memory() {
        return memory;
    }

    int sequence(int row) {
        return sequences[row];
    }

    int cell(int row) {
        return cells[row];
    }

    /** The cells row {@code row} attends to are the first {@link #visibleCount} of these. */
    int[] visibleCells(int row) {
        if (visible == null) computeVisibility();
        return visible[row];
    }

    int visibleCount(int row) {
        if (visible == null) computeVisibility();
        return visibleCount[row];
    }

    /** Called before the first attention of a step, on the decoding thread. */
    synchronized void computeVisibility() {
        if (visible != null) return;
        int[][] rows = new int[tokens.length][];
        int[] counts = new int[tokens.length];
        int[][] bySequence = new int[memory.maxSequences()][];
        int[][] positionsBySequence = new int[memory.maxSequences()][];
        for (int r = 0; r < tokens.length; r++) {
            int s = sequences[r];
            if (bySequence[s] == null) {
                bySequence[s] = memory.cellsByPosition(s);
                int[] pos = new int[bySequence[s].length];
                for (int i = 0; i < pos.length; i++) pos[i] = memory.cellPosition(bySequence[s][i]);
                positionsBySequence[s] = pos;
            }
            rows[r] = bySequence[s];
            if (!causal) {
                counts[r] = bySequence[s].length;
                continue;
            }
            int found = Arrays.binarySearch(positionsBySequence[s], positions[r]);
            counts[r] = found >= 0 ? found + 1 : -found - 1;
        }
        visibleCount = counts;
        visible = rows;
    }

    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[1024]);

    /** A per-thread buffer of at least n floats for attention scores. */
    static float[] scratch(int n) {
        float[] s = SCORES.get();
        if (s.length < n) SCORES.set(s = new float[Math.max(n, 2 * s.length)]);
        return s;
    }
}
