package dev.mica.arch.qwen35;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.TestBackends;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hybrid model's memory on the Java backend: its recurrent state cannot lose a tail, so partial
 * removal is refused without a change, and snapshots (whole, or of the recurrent part only) are
 * the way back, continuing exactly as the sequence did.
 */
class HybridMemoryTest {
    @TempDir Path dir;
    private LoadedModel model;
    private InferenceContext context;

    @BeforeEach
    void load() throws Exception {
        Path file = ArchModels.write(ArchModels.qwen35(true, 21), dir.resolve("qwen35moe.gguf"));
        model = TestBackends.loadJava(TestBackends.exact(new Qwen35()), file);
        context = model.newContext(new ContextOptions(128, 3, 32, 1, false, true));
    }

    @AfterEach
    void close() {
        model.close();
    }

    private float[] decode(int sequence, int position, int... tokens) throws BackendException {
        Batch b = new Batch(tokens.length);
        for (int i = 0; i < tokens.length; i++) b.add(tokens[i], position + i, sequence, i == tokens.length - 1);
        assertEquals(DecodeResult.OK, context.decode(b));
        return context.logits(tokens.length - 1).toArray(ValueLayout.JAVA_FLOAT);
    }

    @Test
    void partialRemovalIsRefusedAndChangesNothing() throws Exception {
        SequenceMemory m = context.memory();
        assertFalse(m.supportsPartialRemoval());
        decode(0, 0, 5, 6, 7, 8, 9);
        assertFalse(m.removeRange(0, 2, -1), "a tail of a recurrent state cannot go");
        assertEquals(4, m.maxPosition(0));
        assertEquals(5, m.cellsUsed());
        assertTrue(m.removeRange(0, 0, -1), "the whole sequence can");
        assertEquals(-1, m.maxPosition(0));
        assertThrows(IllegalArgumentException.class, () -> m.copy(0, 1, 0, 3), "nor can part of it be copied");
    }

    @Test
    void aFullSnapshotResumesExactly() throws Exception {
        decode(0, 0, 5, 6, 7, 8, 9);
        try (Snapshot s = context.memory().save(0, Snapshot.Kind.FULL)) {
            assertEquals(5, s.tokens());
            float[] next = decode(0, 5, 10);
            decode(0, 6, 11, 12);
            assertTrue(context.memory().restore(0, s));
            assertEquals(4, context.memory().maxPosition(0));
            assertArrayEquals(next, decode(0, 5, 10), "the same logits as from the state it was saved in");
            assertTrue(context.memory().restore(2, s));
            assertArrayEquals(next, decode(2, 5, 10), "and in another sequence");
        }
    }

    /** A recurrent-only checkpoint plus the KV the sequence still holds: restore, cut the tail, go on. */
    @Test
    void aRecurrentCheckpointAndTheKeptKvResumeExactly() throws Exception {
        SequenceMemory m = context.memory();
        decode(0, 0, 5, 6, 7, 8, 9);
        try (Snapshot checkpoint = m.save(0, Snapshot.Kind.RECURRENT_ONLY)) {
            assertEquals(5, checkpoint.tokens());
            float[] next = decode(0, 5, 10);
            decode(0, 6, 11, 12);
            assertFalse(m.removeRange(0, 5, -1), "the recurrent state has moved past 5");
            assertTrue(m.restore(0, checkpoint));
            assertEquals(4, m.maxPosition(0), "positions end where the checkpoint does");
            assertTrue(m.removeRange(0, 5, -1), "the KV tail past the checkpoint can go now");
            assertEquals(5, m.cellsUsed());
            assertArrayEquals(next, decode(0, 5, 10));
        }
    }

    @Test
    void aWholeCopyContinuesAsTheOriginal() throws Exception {
        decode(0, 0, 5, 6, 7);
        context.memory().copy(0, 1, 0, -1);
        assertEquals(3, context.memory().cellsUsed(), "the KV is shared");
        float[] original = decode(0, 3, 8);
        assertArrayEquals(original, decode(1, 3, 8));
    }

    @Test
    void anAbortedDecodeLeavesTheRecurrentStateAsItWas() throws Exception {
        decode(0, 0, 5, 6, 7);
        float[] expected;
        try (Snapshot s = context.memory().save(0, Snapshot.Kind.FULL)) {
            expected = decode(0, 3, 8);
            assertTrue(context.memory().restore(0, s));
        }
        context.abort();
        Batch b = new Batch(1);
        b.add(8, 3, 0, true);
        assertEquals(DecodeResult.ABORTED, context.decode(b));
        assertArrayEquals(expected, decode(0, 3, 8));
    }
}
