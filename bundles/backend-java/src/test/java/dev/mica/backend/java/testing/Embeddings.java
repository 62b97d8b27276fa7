package dev.mica.backend.java.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import java.util.ArrayList;
import java.util.List;

/** Pooled embeddings of the same sequences from either backend, for comparing them. */
public final class Embeddings {
    private Embeddings() {}

    /**
     * The embedding of each sequence, all decoded in one batch with their rows interleaved, so
     * each backend must keep the sequences apart while pooling. One KV stream for all of them:
     * libllama then keeps the batch in one micro-batch, whose tokens are what it pools.
     */
    public static List<float[]> run(LoadedModel model, int[][] sequences) throws BackendException {
        int total = 0, longest = 0;
        for (int[] s : sequences) {
            total += s.length;
            longest = Math.max(longest, s.length);
        }
        // A batch size that is a multiple of the sequence count: libllama reserves its graph for a
        // micro-batch rounded up to such a multiple but with only batch-size outputs, and its mean
        // pooling's matmul then fails an assertion (aborting the JVM).
        int batchSize = 32 * sequences.length;
        if (total > batchSize) throw new IllegalArgumentException(total + " tokens exceed the batch of " + batchSize);
        try (InferenceContext context = model.newContext(new ContextOptions(256, sequences.length, batchSize, 1, true, true))) {
            Batch batch = new Batch(total);
            for (int position = 0; position < longest; position++) {
                for (int s = 0; s < sequences.length; s++) {
                    if (position < sequences[s].length) batch.add(sequences[s][position], position, s, true);
                }
            }
            assertEquals(DecodeResult.OK, context.decode(batch));
            List<float[]> out = new ArrayList<>();
            for (int s = 0; s < sequences.length; s++) out.add(context.embedding(s));
            return out;
        }
    }
}
