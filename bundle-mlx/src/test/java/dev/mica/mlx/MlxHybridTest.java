package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.arch.qwen35.Qwen35;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Logits;
import dev.mica.backend.java.testing.TestBackends;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Qwen3.5 (gated-delta layers and attention) on MLX: logits against the Java backend, two
 * sequences interleaved, and the hybrid memory contract (no tail removal, whole copies, FULL and
 * RECURRENT_ONLY snapshots, an aborted decode changing nothing).
 */
class MlxHybridTest {
    @TempDir Path dir;

    private static final ContextOptions TWO = new ContextOptions(256, 3, 64, 1, false, true);

    private LoadedModel mlx(Path file) throws Exception {
        MlxBackend b = new MlxBackend(MlxTesting.folder(), List.of(new Qwen35()));
        assertTrue(b.status().available(), b.status().detail());
        return b.load(file, file.getFileName().toString(), ProgressListener.NONE);
    }

    private Path model(boolean moe) throws Exception {
        MlxTesting.folder();
        return ArchModels.write(ArchModels.qwen35(moe, moe ? 21 : 11), dir.resolve(moe ? "qwen35moe.gguf" : "qwen35.gguf"));
    }

    private static float[] decode(InferenceContext c, int sequence, int position, int... tokens) throws Exception {
        Batch b = new Batch(tokens.length);
        for (int i = 0; i < tokens.length; i++) b.add(tokens[i], position + i, sequence, i == tokens.length - 1);
        assertEquals(DecodeResult.OK, c.decode(b));
        return c.logits(tokens.length - 1).toArray(ValueLayout.JAVA_FLOAT);
    }

    /** Two sequences: prompts of several tokens, then single tokens, then both in one batch with rows interleaved. */
    private static List<float[]> interleaved(LoadedModel model) throws Exception {
        List<float[]> out = new ArrayList<>();
        try (InferenceContext c = model.newContext(TWO)) {
            out.add(decode(c, 0, 0, 1, 415, 260, 300, 301, 302, 303));
            out.add(decode(c, 1, 0, 1, 400, 401, 402));
            out.add(decode(c, 0, 7, 304));
            out.add(decode(c, 1, 4, 403, 404));
            Batch both = new Batch(4);
            both.add(405, 6, 1, true);
            both.add(305, 8, 0, true);
            both.add(406, 7, 1, true);
            both.add(306, 9, 0, true);
            assertEquals(DecodeResult.OK, c.decode(both));
            for (int r = 0; r < 4; r++) out.add(c.logits(r).toArray(ValueLayout.JAVA_FLOAT));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void logitsMatchTheJavaBackend(boolean moe) throws Exception {
        Path file = model(moe);
        try (LoadedModel m = mlx(file); LoadedModel j = TestBackends.loadJava(TestBackends.exact(new Qwen35()), file)) {
            double error = Logits.relativeError(Logits.run(m, MlxLogitsTest.CHUNKS), Logits.run(j, MlxLogitsTest.CHUNKS));
            double both = Logits.relativeError(interleaved(m), interleaved(j));
            System.out.printf("%s: MLX vs Java relative error %.2e, two interleaved sequences %.2e%n", file.getFileName(), error, both);
            assertTrue(error < 1e-3, "relative error " + error);
            assertTrue(both < 1e-3, "interleaved: relative error " + both);
            assertArrayEquals(Logits.greedy(j, new int[] {1, 300, 301}, 8), Logits.greedy(m, new int[] {1, 300, 301}, 8));
        }
    }

    /** Prompts past one chunk of the chunked gated delta (64 rows; Logits.run allows 128 per batch), then single steps, then a short prompt on the loop. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void longPromptsMatchTheJavaBackend(boolean moe) throws Exception {
        Path file = model(moe);
        int[] prompt = java.util.stream.IntStream.range(0, 120).map(i -> 1 + (i * 37) % 500).toArray();
        int[][] chunks = {prompt, {7}, {8}, {9, 10, 11, 12, 13}, java.util.Arrays.copyOf(prompt, 64)};
        try (LoadedModel m = mlx(file); LoadedModel j = TestBackends.loadJava(TestBackends.exact(new Qwen35()), file)) {
            double error = Logits.relativeError(Logits.run(m, chunks), Logits.run(j, chunks));
            System.out.printf("%s, prompts of 120 and 64 tokens: MLX vs Java relative error %.2e%n", file.getFileName(), error);
            assertTrue(error < 1e-3, "relative error " + error);
        }
    }

    private static void same(float[] expected, float[] actual) {
        double e = Logits.relativeError(List.of(actual), List.of(expected));
        assertTrue(e < 1e-5, "logits differ by " + e);
    }

    @Test
    void partialRemovalIsRefusedAndChangesNothing() throws Exception {
        try (LoadedModel model = mlx(model(true)); InferenceContext c = model.newContext(TWO)) {
            SequenceMemory m = c.memory();
            assertFalse(m.supportsPartialRemoval());
            float[] before = decode(c, 0, 0, 5, 6, 7, 8, 9);
            try (Snapshot s = m.save(0, Snapshot.Kind.FULL)) {
                float[] next = decode(c, 0, 5, 10);
                assertTrue(m.restore(0, s));
                assertFalse(m.removeRange(0, 2, -1), "a tail of a recurrent state cannot go");
                assertEquals(4, m.maxPosition(0));
                assertEquals(5, m.cellsUsed());
                same(next, decode(c, 0, 5, 10));
            }
            assertTrue(m.removeRange(0, 0, -1), "the whole sequence can");
            assertEquals(-1, m.maxPosition(0));
            assertThrows(IllegalArgumentException.class, () -> m.copy(0, 1, 0, 3), "nor can part of it be copied");
            same(before, decode(c, 0, 0, 5, 6, 7, 8, 9));
        }
    }

    @Test
    void aFullSnapshotResumesExactly() throws Exception {
        try (LoadedModel model = mlx(model(false)); InferenceContext c = model.newContext(TWO)) {
            decode(c, 0, 0, 5, 6, 7, 8, 9);
            try (Snapshot s = c.memory().save(0, Snapshot.Kind.FULL)) {
                assertEquals(5, s.tokens());
                float[] next = decode(c, 0, 5, 10);
                decode(c, 0, 6, 11, 12);
                assertTrue(c.memory().restore(0, s));
                assertEquals(4, c.memory().maxPosition(0));
                same(next, decode(c, 0, 5, 10));
                assertTrue(c.memory().restore(2, s));
                same(next, decode(c, 2, 5, 10));
            }
        }
    }

    /** A recurrent-only checkpoint plus the KV the sequence still holds: restore, cut the tail, go on. */
    @Test
    void aRecurrentCheckpointAndTheKeptKvResumeExactly() throws Exception {
        try (LoadedModel model = mlx(model(true)); InferenceContext c = model.newContext(TWO)) {
            SequenceMemory m = c.memory();
            decode(c, 0, 0, 5, 6, 7, 8, 9);
            try (Snapshot checkpoint = m.save(0, Snapshot.Kind.RECURRENT_ONLY)) {
                assertEquals(5, checkpoint.tokens());
                float[] next = decode(c, 0, 5, 10);
                decode(c, 0, 6, 11, 12);
                assertFalse(m.removeRange(0, 5, -1), "the recurrent state has moved past 5");
                assertTrue(m.restore(0, checkpoint));
                assertEquals(4, m.maxPosition(0), "positions end where the checkpoint does");
                assertTrue(m.removeRange(0, 5, -1), "the KV tail past the checkpoint can go now");
                assertEquals(5, m.cellsUsed());
                same(next, decode(c, 0, 5, 10));
            }
        }
    }

    @Test
    void aWholeCopyContinuesAsTheOriginal() throws Exception {
        try (LoadedModel model = mlx(model(false)); InferenceContext c = model.newContext(TWO)) {
            decode(c, 0, 0, 5, 6, 7);
            c.memory().copy(0, 1, 0, -1);
            assertEquals(2, c.memory().maxPosition(1));
            same(decode(c, 0, 3, 8), decode(c, 1, 3, 8));
        }
    }

    @Test
    void anAbortedDecodeLeavesTheRecurrentStateAsItWas() throws Exception {
        try (LoadedModel model = mlx(model(true)); InferenceContext c = model.newContext(TWO)) {
            decode(c, 0, 0, 5, 6, 7);
            float[] expected;
            try (Snapshot s = c.memory().save(0, Snapshot.Kind.FULL)) {
                expected = decode(c, 0, 3, 8);
                assertTrue(c.memory().restore(0, s));
            }
            c.abort();
            Batch b = new Batch(1);
            b.add(8, 3, 0, true);
            assertEquals(DecodeResult.ABORTED, c.decode(b));
            same(expected, decode(c, 0, 3, 8));
        }
    }

    /** The recurrent states replace each other step by step: MLX's active memory stays flat. */
    @Test
    void noLeakOverManySteps() throws Exception {
        MlxRuntime rt = MlxTesting.runtime();
        try (LoadedModel model = mlx(model(true)); InferenceContext c = model.newContext(new ContextOptions(512, 1, 16, 1, false, true))) {
            decode(c, 0, 0, 1, 300, 301, 302);
            long before = 0;
            for (int step = 0; step < 400; step++) {
                int pos = c.memory().maxPosition(0) + 1;
                if (pos >= 60) {       // no tail can go: start the sequence again
                    assertTrue(c.memory().removeRange(0, 0, -1));
                    decode(c, 0, 0, 1, 300, 301, 302);
                    pos = 4;
                }
                decode(c, 0, pos, 300 + step % 100);
                if (step == 100) before = rt.call(() -> rt.mlx().memory("mlx_get_active_memory"));
            }
            long after = rt.call(() -> rt.mlx().memory("mlx_get_active_memory"));
            System.out.printf("Qwen3.5 on MLX: active memory after 100 steps %d, after 400 steps %d bytes%n", before, after);
            assertTrue(after <= before + 64 * 1024, "active memory grew from " + before + " to " + after);
        }
    }
}
