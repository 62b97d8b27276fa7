package dev.mica.graph;

import dev.mica.api.backend.Batch;

/**
 * A checked batch as arrays: its tokens, positions and sequences, the rows whose logits are wanted
 * ({@code outputRows}), and for each row its place among them ({@code outputIndex}, -1 for none).
 */
public record BatchRows(int[] tokens, int[] positions, int[] sequences, int[] outputRows, int[] outputIndex) {
    /** Refuses, before anything is computed, a batch the context cannot take. */
    public static BatchRows of(Batch batch, int batchCapacity, int vocabSize, int maxSequences) {
        int n = batch.size();
        if (n == 0) throw new IllegalArgumentException("empty batch");
        if (n > batchCapacity) throw new IllegalArgumentException("batch of " + n + " tokens exceeds this context's batch capacity of " + batchCapacity);
        int[] tokens = new int[n], positions = new int[n], sequences = new int[n], index = new int[n];
        int outputs = 0;
        for (int i = 0; i < n; i++) {
            tokens[i] = batch.token(i);
            positions[i] = batch.position(i);
            sequences[i] = batch.sequence(i);
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new IllegalArgumentException("row " + i + ": token " + tokens[i] + " is outside the vocabulary [0, " + vocabSize + ")");
            }
            checkSequence(sequences[i], maxSequences);
            if (positions[i] < 0) throw new IllegalArgumentException("row " + i + ": negative position " + positions[i]);
            index[i] = batch.wantsLogits(i) ? outputs++ : -1;
        }
        int[] outputRows = new int[outputs];
        for (int i = 0; i < n; i++) if (index[i] >= 0) outputRows[index[i]] = i;
        return new BatchRows(tokens, positions, sequences, outputRows, index);
    }

    public static void checkSequence(int sequence, int maxSequences) {
        if (sequence < 0 || sequence >= maxSequences) throw new IllegalArgumentException("sequence " + sequence + " is outside [0, " + maxSequences + ")");
    }

    public int size() {
        return tokens.length;
    }

    public int outputs() {
        return outputRows.length;
    }
}
