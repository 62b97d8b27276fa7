package dev.mica.mlx;

import dev.mica.api.arch.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch as the forward pass sees it, plus the rows of each sequence (in batch order, their
 * positions consecutive, as the context checked), which attention works through one by one, and
 * the direction attention takes (the model's, so the same for every step of a context).
 */
final class MlxStep implements Step {
    private final int[] tokens, positions, sequences, outputs;
    private final boolean causal;
    /** Sequence id → its rows, in order of first appearance. */
    private final Map<Integer, int[]> groups = new LinkedHashMap<>();

    MlxStep(int[] tokens, int[] positions, int[] sequences, int[] outputs) {
        this(tokens, positions, sequences, outputs, true);
    }

    MlxStep(int[] tokens, int[] positions, int[] sequences, int[] outputs, boolean causal) {
        this.causal = causal;
        this.tokens = tokens;
        this.positions = positions;
        this.sequences = sequences;
        this.outputs = outputs;
        Map<Integer, List<Integer>> rows = new LinkedHashMap<>();
        for (int r = 0; r < sequences.length; r++) rows.computeIfAbsent(sequences[r], k -> new ArrayList<>()).add(r);
        rows.forEach((s, list) -> groups.put(s, list.stream().mapToInt(Integer::intValue).toArray()));
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

    int[] sequences() {
        return sequences;
    }

    Map<Integer, int[]> groups() {
        return groups;
    }

    /** False for models with bidirectional attention ({@code attention.causal = false}). */
    boolean causal() {
        return causal;
    }

    /** Whether the rows are one sequence in batch order (the usual case: no gathering needed). */
    boolean single() {
        return groups.size() == 1;
    }
}
