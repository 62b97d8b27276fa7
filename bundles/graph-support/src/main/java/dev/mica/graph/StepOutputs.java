package dev.mica.graph;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * What the last decode of a graph backend's context left for its caller: a row of logits per
 * batch row that asked for one, or, in an embeddings context, a pooled vector per sequence (as
 * libllama in embeddings mode, the pooling, not the batch's marks, says which rows the pass
 * outputs). Not thread-safe: the context calls it under its own lock.
 */
public final class StepOutputs {
    /** Null for a context that computes logits. */
    private final Pooling pooling;
    private final int vocabSize;
    private final int width;
    private final int maxSequences;
    private float[] logits = new float[0];
    private int[] outputIndex = new int[0];
    /** Per sequence, its vector from the last decode; null for one the decode did not hold. */
    private float[][] pooled = new float[0][];

    /** @param pooling null for logits; else how an embeddings context pools its hidden states */
    public StepOutputs(Pooling pooling, int vocabSize, int embeddingLength, int maxSequences) {
        this.pooling = pooling;
        this.vocabSize = vocabSize;
        this.width = pooling == null ? vocabSize : embeddingLength;
        this.maxSequences = maxSequences;
    }

    /** Whether the pass stops at the hidden states ({@code ForwardPass.hiddenStates}) rather than the logits. */
    public boolean embeddings() {
        return pooling != null;
    }

    /** Floats per output row: the vocabulary, or the embedding width. */
    public int width() {
        return width;
    }

    /** The batch rows the pass must output, in order. */
    public int[] rowsToRead(BatchRows rows) {
        return pooling == null ? rows.outputRows() : pooling.rowsToRead(rows.positions(), rows.sequences(), maxSequences);
    }

    /** Forgets the last decode's outputs (a new decode has begun: they no longer hold). */
    public void clear() {
        logits = new float[0];
        outputIndex = new int[0];
        pooled = new float[0][];
    }

    /** Keeps a successful decode's outputs: {@code out} holds {@link #width()} floats per row of {@link #rowsToRead}. */
    public void store(float[] out, BatchRows rows) {
        if (pooling != null) {
            pooled = pooling.pool(out, width, rows.positions(), rows.sequences(), maxSequences);
        } else {
            logits = out;
            outputIndex = rows.outputIndex();
        }
    }

    /** A batch row's logits, read-only, without a copy. */
    public MemorySegment logits(int batchRow) {
        int o = outputOf(batchRow);
        return MemorySegment.ofArray(logits).asSlice((long) o * vocabSize * Float.BYTES, (long) vocabSize * Float.BYTES).asReadOnly();
    }

    /** A batch row's logits, copied (a sampler changes them). */
    public float[] logitsCopy(int batchRow) {
        int o = outputOf(batchRow);
        return Arrays.copyOfRange(logits, o * vocabSize, (o + 1) * vocabSize);
    }

    /** A sequence's pooled vector from the last decode, copied. */
    public float[] embedding(int sequence) {
        BatchRows.checkSequence(sequence, maxSequences);
        if (pooling == null) throw new IllegalStateException("not an embeddings context: create it with ContextOptions.embeddings");
        float[] v = sequence < pooled.length ? pooled[sequence] : null;
        if (v == null) throw new IllegalStateException("no pooled embedding for sequence " + sequence + ": the last decode did not hold it");
        return v.clone();
    }

    private int outputOf(int batchRow) {
        if (pooling != null) throw new IllegalStateException("an embeddings context computes no logits: it stops before the output projection");
        if (batchRow < 0 || batchRow >= outputIndex.length || outputIndex[batchRow] < 0) {
            throw new IllegalArgumentException("batch row " + batchRow + " has no logits: mark it in the batch, and decode successfully first");
        }
        return outputIndex[batchRow];
    }
}
