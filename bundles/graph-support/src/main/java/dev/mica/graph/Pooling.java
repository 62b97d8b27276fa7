package dev.mica.graph;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ModelInfo;
import java.util.Arrays;
import java.util.Map;

/**
 * How an embeddings context turns the hidden states of a sequence's tokens into one vector:
 * llama.cpp's {@code llama_pooling_type}, in the order of its GGUF numbers
 * ({@code <arch>.pooling_type}), with its rules from {@code llm_graph_input_mean} and
 * {@code llm_graph_input_cls}. Pooling covers the tokens of one decoded batch, as libllama's does
 * (its embeddings contexts decode a batch as one micro-batch).
 *
 * <p>Shared by the graph backends so that a model embeds alike on each: which pooling, which rows,
 * which attention direction, and what they refuse.
 */
public enum Pooling {
    NONE, MEAN, CLS, LAST, RANK;

    /**
     * The pooling of an embeddings context of {@code model} on {@code backend}. Pooling 0 and 4
     * are refused here, when the context is made, rather than at the first decode.
     */
    public static Pooling forEmbeddings(ModelInfo info, String model, String backend) throws BackendException {
        Pooling pooling = declaredBy(info.metadata().get(info.architecture() + ".pooling_type"));
        if (pooling == NONE) {
            // libllama would make a context that only has per-token embeddings, which this contract cannot hand out
            throw new BackendException(model + " declares no pooling (pooling_type 0): it has no embedding per sequence");
        }
        if (pooling == RANK) {
            throw new BackendException(model + " is a reranker (pooling_type 4): the " + backend + " backend does not run classification heads");
        }
        return pooling;
    }

    /** Whether attention is causal: llama.cpp's default, unless the file says otherwise (bidirectional embedding models). */
    public static boolean causalAttention(ModelInfo info) {
        return !Boolean.FALSE.equals(info.metadata().get(info.architecture() + ".attention.causal"));
    }

    /**
     * Whether a model says it is meant for embeddings (Ollama's rule, as the ggml backend reports
     * it): it declares a pooling. Any model can be embedded with (by the mean).
     */
    static boolean declared(Map<String, Object> metadata, String architecture) {
        return metadata.get(architecture + ".pooling_type") instanceof Number n && n.intValue() != 0;
    }

    /**
     * The pooling a model declares; MEAN where it declares none, which is how Ollama (and so the
     * ggml backend) embeds with a generative model.
     */
    private static Pooling declaredBy(Object metadataValue) throws BackendException {
        if (metadataValue == null) return MEAN;
        if (metadataValue instanceof Number n && n.longValue() >= 0 && n.longValue() < values().length) return values()[n.intValue()];
        throw new BackendException("unknown pooling_type " + metadataValue + " (llama.cpp knows 0 to " + (values().length - 1) + ")");
    }

    /** The batch rows whose hidden states {@link #pool} reads, ascending: every row for the mean, one per sequence otherwise. */
    public int[] rowsToRead(int[] positions, int[] sequences, int maxSequences) {
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
    public float[][] pool(float[] hidden, int width, int[] positions, int[] sequences, int maxSequences) {
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
