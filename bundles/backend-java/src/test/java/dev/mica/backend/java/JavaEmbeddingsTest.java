package dev.mica.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ModelInfo.Capability;
import dev.mica.api.backend.ProgressListener;
import dev.mica.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Embeddings contexts on the test architecture, whose hidden states a few lines of arithmetic
 * reproduce ({@link #reference}): pooling per sequence over a batch of several, llama.cpp's choice
 * of rows, the model's attention direction, and the refusals.
 */
class JavaEmbeddingsTest {
    private static final long SEED = 5;
    private static final float[] EMBEDDINGS = Bigram.embeddings(SEED);
    private static final int MEAN = 1, CLS = 2, LAST = 3;

    @TempDir Path dir;
    private final JavaBackend backend = new JavaBackend(List.of(new Bigram()), Numerics.EXACT);

    private LoadedModel load(Consumer<GgufWriter> metadata) throws Exception {
        Path file = Bigram.write(dir.resolve("bigram-" + System.nanoTime() + ".gguf"), SEED, metadata);
        return backend.load(file, "bigram", new LoadOptions(0, true, 1), ProgressListener.NONE);
    }

    private static Consumer<GgufWriter> pooling(int type) {
        return w -> w.putUInt32(Bigram.NAME + ".pooling_type", type);
    }

    private static InferenceContext embeddings(LoadedModel model, int sequences) throws BackendException {
        return model.newContext(new ContextOptions(64, sequences, 32, 1, true, true));
    }

    /**
     * The test architecture's hidden states of one sequence from position 0: each token's
     * embedding plus single-head attention over the embeddings it sees, in double precision.
     */
    private static double[][] reference(int[] tokens, boolean causal) {
        int n = tokens.length, w = Bigram.WIDTH;
        double scale = 1 / Math.sqrt(w);
        double[][] hidden = new double[n][w];
        for (int i = 0; i < n; i++) {
            int seen = causal ? i + 1 : n;
            double[] scores = new double[seen];
            double max = Double.NEGATIVE_INFINITY, total = 0;
            for (int j = 0; j < seen; j++) {
                for (int d = 0; d < w; d++) scores[j] += embedding(tokens[i], d) * embedding(tokens[j], d) * scale;
                max = Math.max(max, scores[j]);
            }
            for (int j = 0; j < seen; j++) total += scores[j] = Math.exp(scores[j] - max);
            for (int d = 0; d < w; d++) {
                double mixed = 0;
                for (int j = 0; j < seen; j++) mixed += scores[j] / total * embedding(tokens[j], d);
                hidden[i][d] = embedding(tokens[i], d) + mixed;
            }
        }
        return hidden;
    }

    private static double embedding(int token, int d) {
        return EMBEDDINGS[token * Bigram.WIDTH + d];
    }

    private static double[] pooled(double[][] hidden, int type) {
        return switch (type) {
            case CLS -> hidden[0];
            case LAST -> hidden[hidden.length - 1];
            default -> {
                double[] mean = new double[Bigram.WIDTH];
                for (double[] row : hidden) for (int d = 0; d < mean.length; d++) mean[d] += row[d] / hidden.length;
                yield mean;
            }
        };
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": width");
        for (int d = 0; d < expected.length; d++) {
            assertEquals(expected[d], actual[d], 1e-4 * (1 + Math.abs(expected[d])), what + ": element " + d);
        }
    }

    private static double distance(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) sum += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(sum);
    }

    /** Three sequences of different lengths, their rows interleaved in one batch, each pooled on its own. */
    @ParameterizedTest
    @ValueSource(ints = {MEAN, CLS, LAST})
    void eachSequenceOfABatchIsPooledOnItsOwn(int type) throws Exception {
        int[][] sequences = {{10, 20, 30, 40}, {7}, {50, 60, 70}};
        try (LoadedModel model = load(pooling(type)); InferenceContext c = embeddings(model, 3)) {
            Batch batch = new Batch(8);
            for (int position = 0; position < 4; position++) {
                for (int s = sequences.length - 1; s >= 0; s--) {
                    // rows marked as wanting nothing: an embeddings context reads every row all the same
                    if (position < sequences[s].length) batch.add(sequences[s][position], position, s, false);
                }
            }
            assertEquals(DecodeResult.OK, c.decode(batch));
            for (int s = 0; s < sequences.length; s++) {
                assertClose(pooled(reference(sequences[s], true), type), c.embedding(s), "pooling " + type + ", sequence " + s);
            }
        }
    }

    /**
     * As libllama pools, over the tokens of the last batch: after a second batch of one token, the
     * mean is that token's hidden state, which still attends to the first batch's tokens.
     */
    @Test
    void poolingCoversTheLastBatch() throws Exception {
        try (LoadedModel model = load(pooling(MEAN)); InferenceContext c = embeddings(model, 2)) {
            Batch first = new Batch(2);
            first.add(11, 0, 0, true);
            first.add(12, 1, 0, true);
            assertEquals(DecodeResult.OK, c.decode(first));
            Batch second = new Batch(1);
            second.add(13, 2, 0, true);
            assertEquals(DecodeResult.OK, c.decode(second));
            assertClose(reference(new int[] {11, 12, 13}, true)[2], c.embedding(0), "the second batch's token");
            IllegalStateException absent = assertThrows(IllegalStateException.class, () -> c.embedding(1));
            assertTrue(absent.getMessage().contains("sequence 1"), absent.getMessage());
        }
    }

    /** {@code attention.causal = false}: every token sees its whole sequence, as llama.cpp's mask lets it. */
    @Test
    void bidirectionalWhereTheModelSaysSo() throws Exception {
        int[] tokens = {3, 141, 59, 26, 53};
        try (LoadedModel model = load(pooling(MEAN).andThen(w -> w.putBool(Bigram.NAME + ".attention.causal", false)));
             InferenceContext c = embeddings(model, 1)) {
            Batch batch = new Batch(tokens.length);
            for (int i = 0; i < tokens.length; i++) batch.add(tokens[i], i, 0, true);
            assertEquals(DecodeResult.OK, c.decode(batch));
            double[] bidirectional = pooled(reference(tokens, false), MEAN), causal = pooled(reference(tokens, true), MEAN);
            // far beyond assertClose's tolerance, so a causal mask could not pass for a bidirectional one
            double apart = distance(bidirectional, causal);
            assertTrue(apart > 0.01, "the two directions are only " + apart + " apart on this input");
            assertClose(bidirectional, c.embedding(0), "bidirectional mean");
        }
    }

    /** No declared pooling: embedded by the mean, as the ggml backend does, but not advertised as an embedding model. */
    @Test
    void aGenerativeModelIsEmbeddedByTheMean() throws Exception {
        int[] tokens = {100, 200, 150};
        try (LoadedModel model = load(w -> { }); InferenceContext c = embeddings(model, 1)) {
            assertFalse(model.info().capabilities().contains(Capability.EMBEDDING));
            Batch batch = new Batch(tokens.length);
            for (int i = 0; i < tokens.length; i++) batch.add(tokens[i], i, 0, true);
            assertEquals(DecodeResult.OK, c.decode(batch));
            assertClose(pooled(reference(tokens, true), MEAN), c.embedding(0), "mean");
        }
        try (LoadedModel declared = load(pooling(LAST))) {
            assertTrue(declared.info().capabilities().containsAll(List.of(Capability.EMBEDDING, Capability.COMPLETION)),
                    declared.info().capabilities().toString());
        }
    }

    @Test
    void whatAnEmbeddingsContextCannotDoIsRefused() throws Exception {
        try (LoadedModel model = load(pooling(LAST)); InferenceContext c = embeddings(model, 2)) {
            assertThrows(IllegalStateException.class, () -> c.embedding(0), "nothing decoded yet");
            assertThrows(IllegalArgumentException.class, () -> c.embedding(2), "no such sequence");
            Batch batch = new Batch(1);
            batch.add(5, 0, 0, true);
            assertEquals(DecodeResult.OK, c.decode(batch));
            IllegalStateException logits = assertThrows(IllegalStateException.class, () -> c.logits(0));
            assertTrue(logits.getMessage().contains("embeddings context"), logits.getMessage());

            try (InferenceContext logitsOnly = model.newContext(new ContextOptions(16, 1, 16, 1, false, true))) {
                IllegalStateException notEmbeddings = assertThrows(IllegalStateException.class, () -> logitsOnly.embedding(0));
                assertTrue(notEmbeddings.getMessage().contains("not an embeddings context"), notEmbeddings.getMessage());
            }
        }
        try (LoadedModel none = load(pooling(0))) {
            BackendException e = assertThrows(BackendException.class, () -> embeddings(none, 1));
            assertTrue(e.getMessage().contains("no pooling"), e.getMessage());
        }
        try (LoadedModel rank = load(pooling(4))) {
            BackendException e = assertThrows(BackendException.class, () -> embeddings(rank, 1));
            assertTrue(e.getMessage().contains("reranker"), e.getMessage());
        }
    }
}
