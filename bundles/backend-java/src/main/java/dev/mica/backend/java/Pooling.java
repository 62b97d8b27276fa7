package dev.mica.backend.java;

import dev.mica.api.backend.BackendException;
import java.util.Arrays;

/**
 * How an embeddings context turns the hidden states of a sequence's tokens into one vector:
 * llama.cpp's {@code llama_pooling_type}, in the order of its GGUF numbers
 * ({@code <arch>.pooling_type}), with its rules from {@code llm_graph_input_mean} and
 * {@code llm_graph_input_cls}. Pooling covers the tokens of one decoded batch, as libllama's does
 * (its embeddings contexts decode a batch as one micro-batch).
 */
enum Pooling {
    NONE, MEAN, CLS, LAST, RANK;

    /**
     * The pooling a model declares; MEAN where it declares none, which is how Ollama (and so the
     * ggml backend) embeds with a generative model.
     */
    static Pooling declaredBy(Object metadataValue) throws BackendException {
        if (metadataValue == null) return MEAN;
        if (metadataValue instanceof Number n && n.longValue() >= 0 && n.longValue() < values().length) return values()[n.intValue()];
        throw new BackendException("unknown pooling_type " + metadataValue + " (llama.cpp knows 0 to " + (values().length - 1) + ")");
    }

    /** The batch rows whose hidden states {@link #pool} reads, ascending: every row for the mean, one per sequence otherwise. */
    int[] rowsToRead(int[] positions, int[] sequences, int maxSequences) {
        if (this == MEAN) {
            int[] all = new int[positions.length];
            Arrays.setAll(all, i -> i);
            return all;
        }
        return Arrays.stream(representativeRows(positions, sequences, maxSequences)).filter(r -> r >= 0).sorted().toArray();
    }

    /**
     * One vector per sequence of the batch, indexed by sequence id (null for sequences the batch
     * does not hold), from the hidden states of {@link #rowsToRead}'s rows, {@code width} floats
     * each, in that order.
     */
    float[][] pool(float[] hidden, int width, int[] positions, int[] sequences, int maxSequences) {
        float[][] pooled = new float[maxSequences][];
        if (this == MEAN) {
            double[][] sums = new double[maxSequences][];
            int[] counts = new int[maxSequences];
            for (int row = 0; row < sequences.length; row++) {
                int s = sequences[row];
                if (sums[s] == null) sums[s] = new double[width];
                for (int i = 0; i < width; i++) sums[s][i] += hidden[row * width + i];
                counts[s]++;
            }
            for (int s = 0; s < maxSequences; s++) {
                if (sums[s] == null) continue;
                pooled[s] = new float[width];
                for (int i = 0; i < width; i++) pooled[s][i] = (float) (sums[s][i] / counts[s]);
            }
            return pooled;
        }
        int[] representatives = representativeRows(positions, sequences, maxSequences);
        int[] read = rowsToRead(positions, sequences, maxSequences);
        for (int s = 0; s < maxSequences; s++) {
            if (representatives[s] < 0) continue;
            int k = Arrays.binarySearch(read, representatives[s]);
            pooled[s] = Arrays.copyOfRange(hidden, k * width, (k + 1) * width);
        }
        return pooled;
    }

    /**
     * Per sequence, the row that stands for it, -1 for sequences not in the batch: CLS takes the
     * lowest position (the first such row), LAST the highest (the last such row). Positions, not
     * row order, decide, as in llama.cpp.
     */
    private int[] representativeRows(int[] positions, int[] sequences, int maxSequences) {
        if (this != CLS && this != LAST) throw new IllegalStateException(this + " pooling has no representative row");
        int[] rows = new int[maxSequences];
        Arrays.fill(rows, -1);
        for (int row = 0; row < sequences.length; row++) {
            int s = sequences[row], best = rows[s];
            if (best < 0 || (this == LAST ? positions[row] >= positions[best] : positions[row] < positions[best])) rows[s] = row;
        }
        return rows;
    }
}
