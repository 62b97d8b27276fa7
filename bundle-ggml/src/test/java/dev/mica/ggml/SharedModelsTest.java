package dev.mica.ggml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.api.backend.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Real model files from {@code ../shared/models}. Each test is skipped, saying so, where the file is
 * not there; {@link GeneratedModelTest} covers the machinery without them.
 */
class SharedModelsTest {
    /**
     * llama.cpp's own greedy decoding of stories260K from "Once upon a time" (BOS added), 64 tokens,
     * printed by {@code src/test/c/greedy_reference.c} against the same prebuilt libllama.
     */
    static final int[] STORIES_PROMPT = {1, 403, 407, 261, 378};
    static final int[] STORIES_GREEDY = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
            410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268,
            388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415, 426, 13, 438, 310,
            439, 419, 357, 336};
    static final String STORIES_TEXT = ", there was a little girl named Lily. She loved to play outside in the park. One day,"
            + " she saw a big, red ball. She wanted to play with it, but it was too high.\nLily's mom said";

    private static Path require(String file) {
        Optional<Path> path = TestSupport.sharedModel(file);
        assumeTrue(path.isPresent(), () -> "skipped: " + file + " is not in ../shared/models ("
                + System.getProperty("mica.test.models") + ")");
        return path.get();
    }

    @Test
    void stories260kGreedyMatchesLlamaCpp() throws Exception {
        Path file = require("stories260K.gguf");
        try (GgmlModel model = TestSupport.load(file);
             InferenceContext context = model.newContext(new ContextOptions(256, 1, 64, 0, false, false));
             Sampler greedy = context.sampler(SamplingParams.GREEDY, null)) {
            Tokenizer tokenizer = model.tokenizer();
            int[] prompt = tokenizer.encode("Once upon a time", true, false);
            assertArrayEquals(STORIES_PROMPT, prompt);
            Decoding.Output out = Decoding.generate(context, greedy, tokenizer, 0, prompt, 64);
            assertArrayEquals(STORIES_GREEDY, out.ids());
            assertEquals(STORIES_TEXT, Decoding.text(tokenizer, out.tokens()));

            ModelInfo info = model.info();
            assertEquals("llama", info.architecture());
            assertEquals(512, info.vocabSize());
            assertEquals(64, info.embeddingLength());
            assertEquals("F32", info.quantization());
            assertEquals(ModelInfo.MemoryKind.ATTENTION, info.memoryKind());
        }
    }

    /** A shared prefix continued in another sequence writes the same story as the original. */
    @Test
    void stories260kContinuesACopiedPrefixIdentically() throws Exception {
        Path file = require("stories260K.gguf");
        try (GgmlModel model = TestSupport.load(file);
             InferenceContext context = model.newContext(new ContextOptions(512, 2, 64, 0, false, true));
             Sampler greedy = context.sampler(SamplingParams.GREEDY, null)) {
            int[] prompt = model.tokenizer().encode("Once upon a time", true, false);
            Decoding.prefill(context, 0, prompt, 0);
            context.memory().copy(0, 1, 0, -1);
            context.memory().removeRange(1, prompt.length - 1, -1);
            // Re-decode only the last prompt token in sequence 1, then generate there.
            Batch batch = new Batch(1);
            int row = batch.add(prompt[prompt.length - 1], prompt.length - 1, 1, true);
            assertEquals(DecodeResult.OK, context.decode(batch));
            int[] generated = new int[16];
            for (int i = 0; i < generated.length; i++) {
                generated[i] = greedy.sample(row);
                batch.clear();
                row = batch.add(generated[i], prompt.length + i, 1, true);
                assertEquals(DecodeResult.OK, context.decode(batch));
            }
            assertArrayEquals(Arrays.copyOf(STORIES_GREEDY, 16), generated);
            // Sequence 0's prompt (its first four cells shared), sequence 1's own last prompt token, 16 generated.
            assertEquals(prompt.length + 1 + 16, context.memory().cellsUsed(), "the prefix is shared, not duplicated");
        }
    }

    /**
     * Qwen3.5's hybrid memory (gated-delta recurrent layers plus attention) cannot drop a partial
     * tail: removeRange says so instead of corrupting the state, and snapshots are the way back.
     */
    @Test
    void hybridQwen35RefusesPartialRemovalAndResumesFromSnapshots() throws Exception {
        hybridRefusesPartialRemovalAndResumesFromSnapshots(require("tiny-qwen35.gguf"));
    }

    /**
     * What the prefix cache relies on in a hybrid model: no partial tail removal or copy (libllama
     * aborts the process on those, so the guard must hold), whole-sequence removal, and snapshots
     * that resume a sequence to the same logits.
     */
    static void hybridRefusesPartialRemovalAndResumesFromSnapshots(Path file) throws Exception {
        try (GgmlModel model = TestSupport.load(file);
             InferenceContext context = model.newContext(new ContextOptions(256, 2, 64, 0, false, true))) {
            assertEquals("qwen35", model.info().architecture());
            assertEquals(ModelInfo.MemoryKind.HYBRID, model.info().memoryKind());
            SequenceMemory memory = context.memory();
            assertFalse(memory.supportsPartialRemoval());

            int[] prompt = model.tokenizer().encode("Hello there, how are you today?", true, false);
            assertTrue(prompt.length > 4);
            Decoding.prefill(context, 0, prompt, 0);
            int max = memory.maxPosition(0);
            assertEquals(prompt.length - 1, max);

            assertFalse(memory.removeRange(0, 2, -1), "a partial tail cannot go");
            assertEquals(max, memory.maxPosition(0), "and nothing changed");
            assertThrows(IllegalArgumentException.class, () -> memory.copy(0, 1, 0, 3));

            int next = prompt[1];
            try (Snapshot full = memory.save(0, Snapshot.Kind.FULL);
                 Snapshot recurrent = memory.save(0, Snapshot.Kind.RECURRENT_ONLY)) {
                assertTrue(recurrent.bytes() < full.bytes(), recurrent + " vs " + full);
                float[] expected = decodeOne(context, next, prompt.length, 0);

                assertTrue(memory.removeRange(0, 0, -1), "the whole sequence can go");
                assertEquals(-1, memory.maxPosition(0));
                assertTrue(memory.restore(0, full));
                assertEquals(max, memory.maxPosition(0));
                assertArrayEquals(expected, decodeOne(context, next, prompt.length, 0));

                // Recurrent state alone, paired with the KV cells the sequence still holds: put the
                // state back to the snapshot's position, then cut the attention tail past it.
                assertTrue(memory.restore(0, recurrent));
                assertTrue(memory.removeRange(0, prompt.length, -1));
                assertEquals(max, memory.maxPosition(0));
                assertArrayEquals(expected, decodeOne(context, next, prompt.length, 0));
            }
            memory.copy(0, 1, 0, -1);
            assertEquals(memory.maxPosition(0), memory.maxPosition(1));
        }
    }

    private static float[] decodeOne(InferenceContext context, int token, int position, int sequence) throws Exception {
        Batch batch = new Batch(1);
        int row = batch.add(token, position, sequence, true);
        assertEquals(DecodeResult.OK, context.decode(batch));
        return Decoding.logits(context, row);
    }

    @Test
    void mixtureOfExpertsQwen3MoeDecodes() throws Exception {
        Path file = require("tiny-qwen3moe-test.gguf");
        try (GgmlModel model = TestSupport.load(file);
             InferenceContext context = model.newContext(new ContextOptions(256, 1, 64, 0, false, false));
             Sampler greedy = context.sampler(SamplingParams.GREEDY, null)) {
            assertEquals("qwen3moe", model.info().architecture());
            int[] prompt = model.tokenizer().encode("abc", true, false);
            assertTrue(prompt.length > 0);
            Decoding.Output out = Decoding.generate(context, greedy, model.tokenizer(), 0, prompt, 8);
            assertTrue(out.endedAtEog() || out.tokens().size() == 8);
        }
    }

    @Test
    void llama2VocabularyRoundTrips() throws Exception {
        Path file = require("llama-2-tiny-random.gguf");
        try (GgmlModel model = TestSupport.load(file)) {
            Tokenizer tokenizer = model.tokenizer();
            assertEquals(32000, tokenizer.vocabSize());
            String text = "Hello world! Ça va? 日本語 and emojis 🎉";
            int[] tokens = tokenizer.encode(text, true, false);
            assertEquals(1, tokens[0], "BOS");
            assertEquals(text, tokenizer.decode(Arrays.copyOfRange(tokens, 1, tokens.length)));
            assertTrue(tokenizer.isEndOfGeneration(2));
        }
    }
}
