package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.arch.llama.Llama;
import dev.mica.backend.java.testing.Logits;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sequences in the MLX KV memory: batched together, trimmed, copied, snapshotted, and no leak over many steps. */
class MlxMemoryTest {
    @TempDir Path dir;
    private LoadedModel model;

    @BeforeEach
    void load() throws Exception {
        MlxBackend mlx = new MlxBackend(MlxTesting.folder(), List.of(new Llama()));
        Path file = dir.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, file);
        model = mlx.load(file, "tiny", ProgressListener.NONE);
    }

    private static float[] decode(InferenceContext c, int[] tokens, int from, int seq) throws Exception {
        Batch b = new Batch(tokens.length);
        for (int i = 0; i < tokens.length; i++) b.add(tokens[i], from + i, seq, i == tokens.length - 1);
        assertEquals(DecodeResult.OK, c.decode(b));
        return c.logits(tokens.length - 1).toArray(ValueLayout.JAVA_FLOAT);
    }

    private static void same(float[] a, float[] b) {
        assertTrue(Logits.relativeError(List.of(a), List.of(b)) < 1e-5, "logits differ by " + Logits.relativeError(List.of(a), List.of(b)));
    }

    @Test
    void twoSequencesInOneBatchMatchEachAlone() throws Exception {
        try (InferenceContext c = model.newContext(new ContextOptions(64, 2, 16, 1, false, true))) {
            float[] a = decode(c, new int[] {1, 300, 301}, 0, 0);
            float[] b = decode(c, new int[] {1, 400, 401, 402}, 0, 1);
            float[] a2 = decode(c, new int[] {302}, 3, 0);
            float[] b2 = decode(c, new int[] {403}, 4, 1);
            c.memory().clear();
            decode(c, new int[] {1, 300, 301}, 0, 0);
            decode(c, new int[] {1, 400, 401, 402}, 0, 1);
            Batch both = new Batch(2);     // interleaved rows of two sequences
            both.add(403, 4, 1, true);
            both.add(302, 3, 0, true);
            assertEquals(DecodeResult.OK, c.decode(both));
            same(b2, c.logits(0).toArray(ValueLayout.JAVA_FLOAT));
            same(a2, c.logits(1).toArray(ValueLayout.JAVA_FLOAT));
            assertEquals(3 + 4 + 2, c.memory().cellsUsed());
            assertTrue(a.length > 0 && b.length > 0);
        }
    }

    @Test
    void trimCopyAndSnapshotGiveTheSameLogits() throws Exception {
        try (InferenceContext c = model.newContext(new ContextOptions(64, 3, 16, 1, false, true))) {
            SequenceMemory m = c.memory();
            decode(c, new int[] {1, 300, 301, 302}, 0, 0);
            float[] next = decode(c, new int[] {303}, 4, 0);
            assertTrue(m.removeRange(0, 4, -1));
            assertEquals(3, m.maxPosition(0));
            same(next, decode(c, new int[] {303}, 4, 0));
            assertFalse(m.removeRange(0, 1, 2), "a hole in the middle is refused");

            m.copy(0, 1, 0, 4);                       // the prefix 0..3
            assertEquals(3, m.maxPosition(1));
            same(next, decode(c, new int[] {303}, 4, 1));

            try (Snapshot s = m.save(0, Snapshot.Kind.FULL)) {
                assertEquals(5, s.tokens());
                m.clear();
                assertTrue(m.restore(2, s));
                assertEquals(4, m.maxPosition(2));
                assertTrue(m.removeRange(2, 4, -1));
                same(next, decode(c, new int[] {303}, 4, 2));
            }
        }
    }

    /** Every step's arrays are freed: MLX's active memory does not grow over thousands of steps. */
    @Test
    void noLeakOverManySteps() throws Exception {
        MlxRuntime rt = MlxTesting.runtime();
        try (InferenceContext c = model.newContext(new ContextOptions(64, 1, 16, 1, false, true))) {
            decode(c, new int[] {1, 300, 301, 302}, 0, 0);
            long before = 0;
            for (int step = 0; step < 3000; step++) {
                int pos = c.memory().maxPosition(0) + 1;
                decode(c, new int[] {300 + step % 100}, pos, 0);
                if (pos >= 40) assertTrue(c.memory().removeRange(0, 8, -1));
                if (step == 200) before = rt.call(() -> rt.mlx().memory("mlx_get_active_memory"));
            }
            long after = rt.call(() -> rt.mlx().memory("mlx_get_active_memory"));
            System.out.printf("MLX active memory after 200 steps %d, after 3000 steps %d bytes%n", before, after);
            assertTrue(after <= before + 64 * 1024, "active memory grew from " + before + " to " + after);
        }
    }
}
