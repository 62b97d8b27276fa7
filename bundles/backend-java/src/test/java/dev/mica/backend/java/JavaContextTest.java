package dev.mica.backend.java;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.GgufWriter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backend contract on the Java backend: batches, logits, the KV memory, snapshots, the sampler, refusals. */
class JavaContextTest {
    @TempDir Path dir;
    private final JavaBackend backend = new JavaBackend(List.of(new Bigram()), Numerics.EXACT);
    private LoadedModel model;

    @BeforeEach
    void load() throws Exception {
        model = backend.load(Bigram.write(dir.resolve("bigram.gguf"), 1), "bigram", new LoadOptions(0, true, 1), ProgressListener.NONE);
    }

    @AfterEach
    void close() {
        model.close();
    }

    private InferenceContext context(int cells, int sequences) throws BackendException {
        return model.newContext(new ContextOptions(cells, sequences, 16, 2, false, true));
    }

    private static float[] decode(InferenceContext c, int sequence, int position, int... tokens) throws BackendException {
        Batch b = new Batch(tokens.length);
        for (int i = 0; i < tokens.length; i++) b.add(tokens[i], position + i, sequence, i == tokens.length - 1);
        assertEquals(DecodeResult.OK, c.decode(b));
        return c.logits(tokens.length - 1).toArray(ValueLayout.JAVA_FLOAT);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    @Test
    void infoDescribesTheModel() {
        ModelInfo info = model.info();
        assertEquals(Bigram.NAME, info.architecture());
        assertEquals(Bigram.VOCAB, info.vocabSize());
        assertEquals(64, info.trainedContextLength());
        assertEquals(ModelInfo.MemoryKind.ATTENTION, info.memoryKind());
        assertEquals("{{ messages }}", info.chatTemplate());
        assertEquals(Bigram.VOCAB, model.tokenizer().vocabSize());
        assertTrue(model.sizeBytes() > Bigram.VOCAB * Bigram.WIDTH * 4L);
    }

    @Test
    void batchesAreCheckedBeforeAnythingRuns() throws Exception {
        try (InferenceContext c = context(32, 2)) {
            assertThrows(IllegalArgumentException.class, () -> decode(c, 0, 0, Bigram.VOCAB));
            assertThrows(IllegalArgumentException.class, () -> decode(c, 2, 0, 5));
            assertThrows(IllegalArgumentException.class, () -> decode(c, 0, 0, new int[17]));
            Batch gap = new Batch(2);
            gap.add(5, 0, 0, true);
            gap.add(6, 2, 0, true);
            assertThrows(IllegalArgumentException.class, () -> c.decode(gap));
            decode(c, 0, 0, 5, 6, 7);
            assertThrows(IllegalArgumentException.class, () -> decode(c, 0, 5, 8), "the next position is 3");
            assertEquals(3, c.memory().cellsUsed(), "failed batches left nothing");
            assertThrows(IllegalArgumentException.class, () -> c.logits(0), "row 0 wanted no logits");
        }
    }

    @Test
    void aFullMemorySaysNoSpaceAndKeepsWhatItHeld() throws Exception {
        try (InferenceContext c = context(8, 1)) {
            float[] before = decode(c, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8);
            Batch one = new Batch(1);
            one.add(9, 8, 0, true);
            assertEquals(DecodeResult.NO_SPACE, c.decode(one));
            assertEquals(8, c.memory().cellsUsed());
            assertTrue(c.memory().removeRange(0, 6, -1));
            assertEquals(5, c.memory().maxPosition(0));
            assertArrayEquals(before, decode(c, 0, 6, 7, 8), "the tail re-decoded gives the same logits");
        }
    }

    @Test
    void anAbortedDecodeChangesNothing() throws Exception {
        try (InferenceContext c = context(16, 1)) {
            decode(c, 0, 0, 1, 2, 3);
            c.abort();
            Batch b = new Batch(1);
            b.add(4, 3, 0, true);
            assertEquals(DecodeResult.ABORTED, c.decode(b));
            assertEquals(3, c.memory().cellsUsed());
            assertEquals(2, c.memory().maxPosition(0));
            assertEquals(DecodeResult.OK, c.decode(b), "the abort applied to one decode only");
        }
    }

    /** A prefix copied into another sequence is shared, and the copy continues as the original would. */
    @Test
    void copiedPrefixesAreSharedAndContinueIdentically() throws Exception {
        try (InferenceContext c = context(32, 3)) {
            SequenceMemory m = c.memory();
            assertTrue(m.supportsPartialRemoval());
            decode(c, 0, 0, 10, 11, 12, 13);
            float[] original = decode(c, 0, 4, 14);
            m.copy(0, 1, 0, 4);
            assertEquals(5, m.cellsUsed(), "the four copied cells are shared");
            assertEquals(3, m.maxPosition(1));
            assertArrayEquals(original, decode(c, 1, 4, 14));
            assertThrows(IllegalArgumentException.class, () -> m.copy(0, 1, 0, -1), "sequence 1 already holds [0, 4]");
            m.keepOnly(1);
            assertEquals(-1, m.maxPosition(0));
            assertEquals(0, m.minPosition(1));
            assertEquals(5, m.cellsUsed());
            assertTrue(m.removeRange(1, 0, 2));
            assertEquals(2, m.minPosition(1));
            m.clear();
            assertEquals(0, m.cellsUsed());
            assertEquals(32, m.cellsTotal());
        }
    }

    @Test
    void snapshotsRestoreASequenceElsewhere() throws Exception {
        try (InferenceContext c = context(32, 2)) {
            decode(c, 0, 0, 20, 21, 22);
            Snapshot saved = c.memory().save(0, Snapshot.Kind.FULL);
            assertEquals(3, saved.tokens());
            assertTrue(saved.bytes() > 3 * 2 * Bigram.WIDTH * 4L);
            float[] next = decode(c, 0, 3, 23);
            assertTrue(c.memory().restore(1, saved));
            assertEquals(2, c.memory().maxPosition(1));
            assertArrayEquals(next, decode(c, 1, 3, 23));
            assertThrows(BackendException.class, () -> c.memory().save(0, Snapshot.Kind.RECURRENT_ONLY), "no recurrent state here");
            saved.close();
            assertThrows(IllegalStateException.class, () -> c.memory().restore(1, saved));
        }
        try (InferenceContext small = context(2, 1); InferenceContext c = context(32, 1)) {
            decode(c, 0, 0, 1, 2, 3);
            try (Snapshot s = c.memory().save(0, Snapshot.Kind.FULL)) {
                assertFalse(small.memory().restore(0, s), "three cells do not fit in two");
                assertEquals(-1, small.memory().maxPosition(0));
            }
        }
    }

    @Test
    void samplingFollowsItsSettings() throws Exception {
        try (InferenceContext c = context(32, 1)) {
            float[] logits = decode(c, 0, 0, 30, 31);
            int best = argmax(logits);
            try (Sampler greedy = c.sampler(SamplingParams.GREEDY, null)) {
                assertEquals(best, greedy.sample(1));
            }
            try (Sampler topOne = c.sampler(new SamplingParams(1.5f, 1, 1f, 0f, 1f, 0, 1f, 0f, 0f, 7), null);
                 Sampler minP = c.sampler(new SamplingParams(1.0f, 0, 1f, 1f, 1f, 0, 1f, 0f, 0f, 7), null)) {
                assertEquals(best, topOne.sample(1));
                assertEquals(best, minP.sample(1));
            }
            SamplingParams hot = new SamplingParams(2f, 0, 0.95f, 0f, 1f, 0, 1f, 0f, 0f, 42);
            int[] first = new int[20], second = new int[20], other = new int[20];
            try (Sampler a = c.sampler(hot, null); Sampler b = c.sampler(hot, null);
                 Sampler d = c.sampler(new SamplingParams(2f, 0, 0.95f, 0f, 1f, 0, 1f, 0f, 0f, 43), null)) {
                for (int i = 0; i < 20; i++) {
                    first[i] = a.sample(1);
                    second[i] = b.sample(1);
                    other[i] = d.sample(1);
                }
            }
            assertArrayEquals(first, second, "the same seed draws the same tokens");
            assertFalse(java.util.Arrays.equals(first, other), "another seed draws others");
            // A strong repetition penalty on the best token (its logit is positive) makes another one the greedy choice.
            assertTrue(logits[best] > 0);
            try (Sampler penalized = c.sampler(new SamplingParams(0f, 0, 1f, 0f, 1f, 64, 1000f, 0f, 0f, 0), null)) {
                penalized.accept(best);
                assertNotEquals(best, penalized.sample(1));
            }
            try (Sampler presence = c.sampler(new SamplingParams(0f, 0, 1f, 0f, 1f, 64, 1f, 1000f, 0f, 0), null)) {
                presence.accept(best);
                assertNotEquals(best, presence.sample(1));
                presence.reset();
                assertEquals(best, presence.sample(1), "reset forgets the history");
            }
            BackendException grammar = assertThrows(BackendException.class, () -> c.sampler(SamplingParams.GREEDY, new Constraint.Grammar("root ::= missing", "root")));
            assertTrue(grammar.getMessage().contains("undefined rule 'missing'"), grammar.getMessage());
            assertThrows(IllegalArgumentException.class, () -> c.sampler(new SamplingParams(Float.NaN, 0, 1f, 0f, 1f, 0, 1f, 0f, 0f, 0), null));
        }
    }

    @Test
    void refusalsNameWhatIsMissing() throws Exception {
        BackendException unknown = assertThrows(BackendException.class, () -> new JavaBackend(List.of(), Numerics.EXACT)
                .load(dir.resolve("bigram.gguf"), "bigram", LoadOptions.DEFAULT, ProgressListener.NONE));
        assertTrue(unknown.getMessage().contains("no architecture bundle for '" + Bigram.NAME + "'")
                && unknown.getMessage().contains("installed: none"), unknown.getMessage());

        Path q5 = dir.resolve("q5.gguf");
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", Bigram.NAME);
        w.addTensor("token_embd.weight", GgmlType.Q5_K, new long[] {256, 1}, dev.mica.gguf.TensorData.bytes(new byte[176]));
        w.write(q5);
        BackendException type = assertThrows(BackendException.class, () -> backend.load(q5, "q5", LoadOptions.DEFAULT, ProgressListener.NONE));
        assertTrue(type.getMessage().contains("token_embd.weight") && type.getMessage().contains("Q5_K"), type.getMessage());
    }

    @Test
    void closingTheModelClosesItsContexts() throws Exception {
        InferenceContext c = context(16, 1);
        model.close();
        assertThrows(IllegalStateException.class, () -> decode(c, 0, 0, 1));
        assertThrows(IllegalStateException.class, () -> context(16, 1));
    }
}
