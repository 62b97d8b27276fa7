package dev.mica.ggml;

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
import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.ModelInfo.Capability;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.api.backend.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend end to end on a random-weight llama written by the test itself, so it runs without
 * any downloaded model. The weights are noise; what is checked is the machinery: tokenizer,
 * decoding, sampling, sequences, snapshots, and every check that keeps libllama from aborting.
 */
class GeneratedModelTest {
    private static GgmlModel model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        model = TestSupport.load(TestSupport.generatedModel());
        tokenizer = model.tokenizer();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static InferenceContext context(int length, int sequences, int batch, boolean unified) throws BackendException {
        return model.newContext(new ContextOptions(length, sequences, batch, 0, false, unified));
    }

    private static int[] prompt(String text) {
        return tokenizer.encode(text, true, false);
    }

    @Test
    void infoDescribesTheFile() {
        ModelInfo info = model.info();
        assertEquals("llama", info.architecture());
        assertEquals(TinyLlamaGguf.vocab().tokens().size(), info.vocabSize());
        assertEquals(TinyLlamaGguf.EMBD, info.embeddingLength());
        assertEquals(TinyLlamaGguf.CONTEXT, info.trainedContextLength());
        assertEquals("F32", info.quantization());
        assertEquals(TestSupport.CHAT_TEMPLATE, info.chatTemplate());
        assertEquals(ModelInfo.MemoryKind.ATTENTION, info.memoryKind());
        assertTrue(info.capabilities().contains(Capability.COMPLETION));
        assertTrue(info.capabilities().contains(Capability.TOOLS), "the template mentions tools");
        assertFalse(info.capabilities().contains(Capability.THINKING));
        assertFalse(info.capabilities().contains(Capability.EMBEDDING));
        assertEquals(2L, info.metadata().get("llama.block_count"));
        assertEquals("tiny-test-llama", info.metadata().get("general.name"));
        assertEquals(1.0e-5, (Double) info.metadata().get("llama.attention.layer_norm_rms_epsilon"), 1e-9);
        assertTrue(info.parameterCount() > 100_000, "parameters: " + info.parameterCount());
        assertTrue(model.sizeBytes() >= 4 * info.parameterCount());
        assertFalse(info.description().isBlank());
    }

    @Test
    void textSurvivesATokenizerRoundTrip() {
        String text = "the cat sat on the mat, and it was big!";
        int[] withBos = tokenizer.encode(text, true, false);
        assertEquals(TinyLlamaGguf.BOS, withBos[0]);
        int[] tokens = tokenizer.encode(text, false, false);
        assertArrayEquals(Arrays.copyOfRange(withBos, 1, withBos.length), tokens);
        assertTrue(tokens.length < text.length() / 2, "whole words are single tokens: " + Arrays.toString(tokens));
        assertEquals(text, tokenizer.decode(tokens));
        // Pieces carry SentencePiece's leading space; the detokenizer drops it again.
        assertEquals(" " + text, Decoding.text(tokenizer, Arrays.stream(tokens).boxed().toList()));

        String unusual = "caf\u00e9 \u4e16\u754c";
        int[] bytes = tokenizer.encode(unusual, false, false);
        assertEquals(unusual, tokenizer.decode(bytes), "characters outside the vocabulary fall back to bytes");

        assertArrayEquals(new int[] {TinyLlamaGguf.BOS}, tokenizer.encode("<s>", false, true));
        assertFalse(Arrays.equals(new int[] {TinyLlamaGguf.BOS}, tokenizer.encode("<s>", false, false)));
        assertEquals("</s>", new String(tokenizer.piece(TinyLlamaGguf.EOS)), "special tokens render as text");
    }

    /** libllama asserts when asked to tokenize with a model that has no vocabulary. */
    @Test
    void aModelWithoutVocabularyRefusesToTokenize(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("no-vocab.gguf");
        TinyLlamaGguf.write(file, 1, false, null, "no_vocab");
        try (GgmlModel bare = TestSupport.load(file)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> bare.tokenizer().encode("the cat", false, false));
            assertTrue(e.getMessage().contains("no vocabulary"), e.getMessage());
            assertEquals("", bare.tokenizer().decode(new int[0]));
        }
    }

    @Test
    void tokensOutsideTheVocabularyAreRefusedNotPassedOn() {
        int size = tokenizer.vocabSize();
        assertThrows(IllegalArgumentException.class, () -> tokenizer.piece(-1));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.piece(size));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {5, size + 10}));
        assertTrue(tokenizer.isEndOfGeneration(TinyLlamaGguf.EOS));
        assertFalse(tokenizer.isEndOfGeneration(TinyLlamaGguf.BOS));
        assertFalse(tokenizer.isEndOfGeneration(size));
    }

    @Test
    void greedyDecodingPicksTheLargestLogitEveryStep() throws Exception {
        int[] prompt = prompt("once upon a time");
        List<Integer> first = new ArrayList<>();
        try (InferenceContext context = context(256, 1, 64, false);
             Sampler greedy = context.sampler(SamplingParams.GREEDY, null)) {
            int row = Decoding.prefill(context, 0, prompt, 0);
            Batch batch = new Batch(1);
            for (int i = 0; i < 16; i++) {
                int expected = Decoding.argmax(Decoding.logits(context, row));
                int token = greedy.sample(row);
                assertEquals(expected, token, "step " + i);
                first.add(token);
                batch.clear();
                row = batch.add(token, prompt.length + i, 0, true);
                assertEquals(DecodeResult.OK, context.decode(batch));
            }
        }
        try (InferenceContext context = context(256, 1, 64, false);
             Sampler greedy = context.sampler(SamplingParams.GREEDY, null)) {
            assertEquals(first, Decoding.generate(context, greedy, tokenizer, 0, prompt, 16).tokens());
        }
    }

    @Test
    void aSeededSamplerChainRepeatsItself() throws Exception {
        int[] prompt = prompt("the dog ran");
        List<List<Integer>> runs = new ArrayList<>();
        for (long seed : new long[] {1234, 1234, 99}) {
            SamplingParams params = new SamplingParams(0.9f, 40, 0.95f, 0.05f, 0.95f, 64, 1.1f, 0.1f, 0.1f, seed);
            try (InferenceContext context = context(256, 1, 64, false); Sampler sampler = context.sampler(params, null)) {
                runs.add(Decoding.generate(context, sampler, tokenizer, 0, prompt, 24).tokens());
            }
        }
        assertEquals(runs.get(0), runs.get(1));
        assertNotEquals(runs.get(0), runs.get(2), "another seed draws other tokens");
    }

    private static List<Integer> sample(SamplingParams params, int[] prompt, int count) throws Exception {
        try (InferenceContext context = context(256, 1, 64, false); Sampler sampler = context.sampler(params, null)) {
            return Decoding.generate(context, sampler, tokenizer, 0, prompt, count).tokens();
        }
    }

    /** Whether some token comes again within {@code window} tokens of its last use, the prompt included. */
    private static boolean repeatsWithin(int[] prompt, List<Integer> generated, int window) {
        List<Integer> all = new ArrayList<>();
        for (int t : prompt) all.add(t);
        for (int i = 0; i < generated.size(); i++) {
            int at = all.size();
            if (all.subList(Math.max(0, at - window), at).contains(generated.get(i))) return true;
            all.add(generated.get(i));
        }
        return false;
    }

    @Test
    void eachTruncationAtItsTightestLeavesOnlyTheMostLikelyToken() throws Exception {
        int[] prompt = prompt("the dog ran");
        List<Integer> greedy = sample(SamplingParams.GREEDY, prompt, 16);
        float hot = 5f;
        assertNotEquals(greedy, sample(new SamplingParams(hot, 0, 1f, 0f, 1f, 0, 1f, 0f, 0f, 7), prompt, 16),
                "a hot temperature alone draws other tokens than greedy");
        assertEquals(greedy, sample(new SamplingParams(hot, 1, 1f, 0f, 1f, 0, 1f, 0f, 0f, 7), prompt, 16), "top_k 1");
        assertEquals(greedy, sample(new SamplingParams(hot, 0, 1e-6f, 0f, 1f, 0, 1f, 0f, 0f, 7), prompt, 16), "top_p near 0");
        assertEquals(greedy, sample(new SamplingParams(hot, 0, 1f, 1f, 1f, 0, 1f, 0f, 0f, 7), prompt, 16), "min_p 1");
    }

    @Test
    void eachPenaltyKeepsRecentTokensFromComingBack() throws Exception {
        int[] prompt = prompt("the dog ran");
        int window = 16;
        assertTrue(repeatsWithin(prompt, sample(SamplingParams.GREEDY, prompt, 24), window), "unpenalized, this model repeats itself");
        float huge = 1e6f;
        assertFalse(repeatsWithin(prompt, sample(new SamplingParams(0f, 0, 1f, 0f, 1f, window, huge, 0f, 0f, 0), prompt, 24), window), "repeat_penalty");
        assertFalse(repeatsWithin(prompt, sample(new SamplingParams(0f, 0, 1f, 0f, 1f, window, 1f, huge, 0f, 0), prompt, 24), window), "presence_penalty");
        assertFalse(repeatsWithin(prompt, sample(new SamplingParams(0f, 0, 1f, 0f, 1f, window, 1f, 0f, huge, 0), prompt, 24), window), "frequency_penalty");
    }

    @Test
    void generationStopsAtTheEndOfGenerationToken() throws Exception {
        try (GgmlModel ending = TestSupport.load(TestSupport.endsAtOnceModel());
             InferenceContext context = ending.newContext(new ContextOptions(128, 1, 32, 0, false, false));
             Sampler greedy = context.sampler(SamplingParams.GREEDY, null)) {
            int[] prompt = ending.tokenizer().encode("the cat", true, false);
            Decoding.Output out = Decoding.generate(context, greedy, ending.tokenizer(), 0, prompt, 32);
            assertTrue(out.endedAtEog());
            assertEquals(List.of(), out.tokens());
        }
    }

    @Test
    void sequencesShareCopyAndDropCellsInAUnifiedCache() throws Exception {
        int[] tokens = prompt("the cat sat on the mat and the dog");
        assertEquals(10, tokens.length);
        try (InferenceContext context = context(256, 4, 64, true)) {
            SequenceMemory memory = context.memory();
            assertTrue(memory.supportsPartialRemoval());
            assertEquals(256, memory.cellsTotal());
            Decoding.prefill(context, 0, tokens, 0);
            assertEquals(0, memory.minPosition(0));
            assertEquals(9, memory.maxPosition(0));
            assertEquals(-1, memory.maxPosition(1));
            assertEquals(10, memory.cellsUsed());

            memory.copy(0, 1, 0, 6);
            assertEquals(0, memory.minPosition(1));
            assertEquals(5, memory.maxPosition(1));
            assertEquals(10, memory.cellsUsed(), "a copy shares cells");

            // Continuing the copied prefix gives what decoding those tokens from scratch gives.
            Batch batch = new Batch(1);
            int row = batch.add(tokens[6], 6, 1, true);
            assertEquals(DecodeResult.OK, context.decode(batch));
            float[] viaCopy = Decoding.logits(context, row);
            assertEquals(11, memory.cellsUsed());
            try (InferenceContext fresh = context(256, 1, 64, false)) {
                int freshRow = Decoding.prefill(fresh, 0, Arrays.copyOf(tokens, 7), 0);
                assertArrayEquals(Decoding.logits(fresh, freshRow), viaCopy, 1e-4f);
            }

            assertThrows(IllegalArgumentException.class, () -> memory.copy(0, 1, 0, 3),
                    "sequence 1 already holds positions 0-2");

            assertTrue(memory.removeRange(0, 5, -1));
            assertEquals(4, memory.maxPosition(0));
            assertEquals(7, memory.cellsUsed(), "position 5 lives on in sequence 1");

            memory.keepOnly(1);
            assertEquals(-1, memory.maxPosition(0));
            assertEquals(6, memory.maxPosition(1));
            assertEquals(7, memory.cellsUsed());

            memory.clear();
            assertEquals(-1, memory.minPosition(1));
            assertEquals(0, memory.cellsUsed());
            assertThrows(IllegalArgumentException.class, () -> memory.maxPosition(4));
            assertThrows(IllegalArgumentException.class, () -> memory.removeRange(-1, 0, -1));
            assertThrows(IllegalArgumentException.class, () -> memory.keepOnly(7));
        }
    }

    @Test
    void aPartialCopyAcrossStreamsReplacesTheTargetWithTheRange() throws Exception {
        int[] tokens = prompt("the cat sat on the mat");
        try (InferenceContext context = context(512, 2, 64, false)) {
            SequenceMemory memory = context.memory();
            float[] whole = Decoding.logits(context, Decoding.prefill(context, 0, tokens, 0));
            Decoding.prefill(context, 1, prompt("a dog"), 0);

            memory.copy(0, 1, 0, 3);
            assertEquals(0, memory.minPosition(1));
            assertEquals(2, memory.maxPosition(1), "what sequence 1 held before is gone: streams are copied whole, then cut");
            assertEquals(tokens.length + 3, memory.cellsUsed(), "separate streams hold separate copies");
            // the copied prefix serves as if computed: the rest of the prompt gives the same logits
            int[] rest = java.util.Arrays.copyOfRange(tokens, 3, tokens.length);
            float[] resumed = Decoding.logits(context, Decoding.prefill(context, 1, rest, 3));
            for (int i = 0; i < whole.length; i++) assertEquals(whole[i], resumed[i], 1e-3f * (1 + Math.abs(whole[i])));

            memory.copy(0, 1, 2, -1);
            assertEquals(2, memory.minPosition(1));
            assertEquals(tokens.length - 1, memory.maxPosition(1));
            memory.copy(0, 1, 0, -1);
            assertEquals(tokens.length - 1, memory.maxPosition(1));
            assertEquals(2 * tokens.length, memory.cellsUsed());
        }
    }

    @Test
    void aRestoredSnapshotGivesTheSameNextLogits() throws Exception {
        int[] tokens = prompt("once upon a time there was a big red ball");
        int next = tokenizer.encode(" dog", false, false)[0];
        try (InferenceContext context = context(256, 2, 64, false)) {
            SequenceMemory memory = context.memory();
            Decoding.prefill(context, 0, tokens, 0);
            float[] expected;
            try (Snapshot snapshot = memory.save(0, Snapshot.Kind.FULL)) {
                assertEquals(Snapshot.Kind.FULL, snapshot.kind());
                assertEquals(tokens.length, snapshot.tokens());
                assertTrue(snapshot.bytes() > 0);
                assertTrue(snapshot.data().isReadOnly());
                expected = decodeOne(context, next, tokens.length, 0);

                memory.clear();
                assertTrue(memory.restore(0, snapshot));
                assertEquals(tokens.length - 1, memory.maxPosition(0));
                assertEquals(tokens.length, memory.cellsUsed());
                assertArrayEquals(expected, decodeOne(context, next, tokens.length, 0));

                assertTrue(memory.restore(1, snapshot), "into another sequence");
                assertArrayEquals(expected, decodeOne(context, next, tokens.length, 1));
            }
            assertThrows(BackendException.class, () -> memory.save(0, Snapshot.Kind.RECURRENT_ONLY),
                    "an attention model has no recurrent state");
            Snapshot closed = memory.save(0, Snapshot.Kind.FULL);
            closed.close();
            assertThrows(IllegalStateException.class, () -> memory.restore(0, closed));
        }
    }

    @Test
    void aSnapshotOfAnotherModelIsRefused() throws Exception {
        try (GgmlModel other = TestSupport.load(TestSupport.endsAtOnceModel());
             InferenceContext theirs = other.newContext(new ContextOptions(128, 1, 32, 0, false, false));
             InferenceContext ours = context(128, 1, 32, false)) {
            Decoding.prefill(theirs, 0, other.tokenizer().encode("the cat", true, false), 0);
            try (Snapshot foreign = theirs.memory().save(0, Snapshot.Kind.FULL)) {
                assertThrows(IllegalArgumentException.class, () -> ours.memory().restore(0, foreign));
            }
        }
    }

    private static float[] decodeOne(InferenceContext context, int token, int position, int sequence) throws BackendException {
        Batch batch = new Batch(1);
        int row = batch.add(token, position, sequence, true);
        assertEquals(DecodeResult.OK, context.decode(batch));
        return Decoding.logits(context, row);
    }

    /** NATIVES.md: 512 tokens into a context of 128 fail a GGML_ABORT inside llama_decode. */
    @Test
    void batchesLibllamaWouldAbortOnAreRefused() throws Exception {
        try (InferenceContext context = context(128, 1, 512, false)) {
            assertEquals(256, context.contextLength(), "llama.cpp pads the context to 256 cells");
            assertEquals(128, context.batchCapacity(), "n_batch is capped at the context asked for");
            Batch big = new Batch(512);
            for (int i = 0; i < 512; i++) {
                big.add(10 + i % 50, i, 0, i == 511);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> context.decode(big));
            assertTrue(e.getMessage().contains("batch capacity"), e.getMessage());

            assertThrows(IllegalArgumentException.class, () -> context.decode(new Batch(4)), "empty");
            assertThrows(IllegalArgumentException.class, () -> context.decode(one(tokenizer.vocabSize(), 0, 0)));
            assertThrows(IllegalArgumentException.class, () -> context.decode(one(-3, 0, 0)));
            assertThrows(IllegalArgumentException.class, () -> context.decode(one(5, 0, 1)), "sequence 1 of 1");
            assertThrows(IllegalArgumentException.class, () -> context.decode(one(5, -1, 0)));
            assertThrows(IllegalArgumentException.class, () -> context.logits(0), "nothing decoded yet");

            assertEquals(DecodeResult.OK, context.decode(one(5, 0, 0)));
            IllegalArgumentException gap = assertThrows(IllegalArgumentException.class, () -> context.decode(one(5, 7, 0)));
            assertTrue(gap.getMessage().contains("llama.cpp"), gap.getMessage());
            assertThrows(IllegalArgumentException.class, () -> context.logits(0), "the failed decode left no logits");

            Batch quiet = new Batch(2);
            quiet.add(6, 1, 0, false);
            quiet.add(7, 2, 0, true);
            assertEquals(DecodeResult.OK, context.decode(quiet));
            assertThrows(IllegalArgumentException.class, () -> context.logits(0), "row 0 wanted no logits");
            assertEquals(tokenizer.vocabSize() * 4L, context.logits(1).byteSize());
            try (Sampler sampler = context.sampler(SamplingParams.GREEDY, null)) {
                assertThrows(IllegalArgumentException.class, () -> sampler.sample(0));
                assertThrows(IllegalArgumentException.class, () -> sampler.accept(tokenizer.vocabSize()));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> model.newContext(new ContextOptions(128, 1000, 32, 0, false, true)));
    }

    private static Batch one(int token, int position, int sequence) {
        Batch b = new Batch(1);
        b.add(token, position, sequence, true);
        return b;
    }

    @Test
    void abortFromAnotherThreadStopsADecode() throws Exception {
        try (InferenceContext context = context(512, 1, 256, false)) {
            Batch big = new Batch(256);
            for (int i = 0; i < 256; i++) {
                big.add(10 + i % 50, i, 0, i == 255);
            }
            AtomicReference<DecodeResult> result = new AtomicReference<>();
            CompletableFuture<Void> decoding = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 100_000 && result.get() == null; i++) {
                        context.memory().clear();
                        DecodeResult r = context.decode(big);
                        if (r != DecodeResult.OK) {
                            result.set(r);
                        }
                    }
                } catch (BackendException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(50);
            context.abort();
            decoding.get(30, TimeUnit.SECONDS);
            assertEquals(DecodeResult.ABORTED, result.get());

            // What the aborted decode kept is consistent, and the next decode runs normally.
            SequenceMemory memory = context.memory();
            assertTrue(memory.maxPosition(0) < 255, "aborted before the end");
            assertEquals(memory.maxPosition(0) + 1, memory.cellsUsed());
            memory.clear();
            assertEquals(DecodeResult.OK, context.decode(big));
        }
    }

    /** close() from another thread cuts the running decode short and waits for it: no use after free. */
    @Test
    void closingAContextDuringADecodeWaitsForIt() throws Exception {
        InferenceContext context = context(512, 1, 256, false);
        Batch big = new Batch(256);
        for (int i = 0; i < 256; i++) {
            big.add(10 + i % 50, i, 0, i == 255);
        }
        CompletableFuture<String> decoding = CompletableFuture.supplyAsync(() -> {
            try {
                while (true) {
                    context.memory().clear();
                    context.decode(big);
                }
            } catch (IllegalStateException closed) {
                return closed.getMessage();
            } catch (BackendException e) {
                return "unexpected: " + e;
            }
        });
        Thread.sleep(30);
        context.close();
        assertEquals("context is closed", decoding.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aGrammarConstrainsWhatIsSampled() throws Exception {
        Constraint abc = new Constraint.Grammar("root ::= [abc]+", "root");
        int dog = tokenizer.encode(" dog", false, false)[0];
        try (InferenceContext context = context(256, 1, 64, false);
             Sampler sampler = context.sampler(new SamplingParams(1f, 0, 1f, 0f, 1f, 64, 1f, 0f, 0f, 7), abc)) {
            // Prompt tokens go into the history only; the grammar would reject them.
            sampler.accept(dog);
            Decoding.Output out = Decoding.generate(context, sampler, tokenizer, 0, prompt("the dog"), 12);
            String text = Decoding.text(tokenizer, out.tokens());
            // Twelve tokens of the grammar, or fewer ended by </s>, which it allows only after one.
            assertTrue(text.matches("[abc]+"), "generated: '" + text + "'");
        }
        try (InferenceContext context = context(128, 1, 32, false)) {
            BackendException e = assertThrows(BackendException.class,
                    () -> context.sampler(SamplingParams.GREEDY, new Constraint.Grammar("root ::= [abc", "root")));
            assertTrue(e.getMessage().contains("grammar"), e.getMessage());
            assertThrows(BackendException.class,
                    () -> context.sampler(SamplingParams.GREEDY, new Constraint.Grammar("root ::= \"a\"", "missing")));
        }
    }

    /** A token the engine writes into the answer itself (a thinking budget's end) moves the grammar too. */
    @Test
    void aForcedTokenAfterTheFirstSampleAdvancesTheGrammar() throws Exception {
        int b = pieceToken("b");
        try (InferenceContext context = context(256, 1, 64, false);
             Sampler sampler = context.sampler(SamplingParams.GREEDY, new Constraint.Grammar("root ::= \"a\" \"b\" \"c\"+", "root"))) {
            int row = Decoding.prefill(context, 0, prompt("the dog"), 0);
            assertEquals("a", piece(sampler.sample(row)));
            sampler.force(b);
            Batch batch = new Batch(1);
            batch.add(b, prompt("the dog").length, 0, true);
            assertEquals(DecodeResult.OK, context.decode(batch));
            assertEquals("c", piece(sampler.sample(0)), "the grammar took the forced \"b\"; without it only \"b\" could follow \"a\"");
        }
    }

    private String piece(int token) {
        return new String(tokenizer.piece(token), java.nio.charset.StandardCharsets.UTF_8);
    }

    private int pieceToken(String text) {
        for (int t = 0; t < tokenizer.vocabSize(); t++) {
            if (!tokenizer.isControl(t) && text.equals(new String(tokenizer.piece(t), java.nio.charset.StandardCharsets.UTF_8))) return t;
        }
        throw new AssertionError("no token is exactly '" + text + "'");
    }

    @Test
    void anEmbeddingsContextPoolsEachSequence() throws Exception {
        try (InferenceContext context = model.newContext(new ContextOptions(128, 2, 64, 0, true, false))) {
            int[] cat = prompt("the cat");
            int[] dog = prompt("the big dog ran");
            Batch batch = new Batch(64);
            for (int i = 0; i < cat.length; i++) {
                batch.add(cat[i], i, 0, false);
            }
            for (int i = 0; i < dog.length; i++) {
                batch.add(dog[i], i, 1, false);
            }
            assertEquals(DecodeResult.OK, context.decode(batch));
            float[] first = context.embedding(0);
            float[] second = context.embedding(1);
            assertEquals(TinyLlamaGguf.EMBD, first.length);
            assertTrue(norm(first) > 0 && Float.isFinite(norm(first)));
            assertFalse(Arrays.equals(first, second));
        }
        try (InferenceContext context = context(128, 1, 32, false)) {
            assertThrows(IllegalStateException.class, () -> context.embedding(0));
        }
    }

    private static float norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        return (float) Math.sqrt(sum);
    }

    @Test
    void quantizesToQ8AndRunsTheResult(@TempDir Path dir) throws Exception {
        Path q8 = dir.resolve("tiny-q8_0.gguf");
        TestSupport.backend().quantize(TestSupport.generatedModel(), q8, "Q8_0", 2);
        assertTrue(Files.size(q8) < Files.size(TestSupport.generatedModel()));
        try (GgmlModel quantized = TestSupport.load(q8);
             InferenceContext context = quantized.newContext(new ContextOptions(128, 1, 32, 0, false, false));
             Sampler greedy = context.sampler(SamplingParams.GREEDY, null)) {
            assertEquals("Q8_0", quantized.info().quantization());
            assertTrue(quantized.sizeBytes() < model.sizeBytes());
            assertEquals(8, Decoding.generate(context, greedy, quantized.tokenizer(), 0, prompt("the cat"), 8).tokens().size());
        }
        assertThrows(IllegalArgumentException.class,
                () -> TestSupport.backend().quantize(TestSupport.generatedModel(), dir.resolve("x.gguf"), "Q9_9", 2));
    }

    @Test
    void libllamasBuiltinTemplatesFormatAChat() {
        List<Tokenizer.ChatTurn> chat = List.of(new Tokenizer.ChatTurn("user", "hello"));
        assertEquals("<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
                model.tokenizer().applyBuiltinChatTemplate(chat, true).orElseThrow(), "recognized as chatml by its markers");
        var llama = model.llama();
        assertTrue(ChatTemplates.builtinNames(llama).contains("chatml"));
        assertTrue(ChatTemplates.apply(llama, "llama3", chat, true).orElseThrow().contains("<|start_header_id|>user"));
        assertTrue(ChatTemplates.apply(llama, "{{ no template anyone knows }}", chat, true).isEmpty());
    }

    @Test
    void loadingReportsProgressAndCanBeCancelled() throws Exception {
        List<Double> fractions = new ArrayList<>();
        try (var loaded = TestSupport.backend().load(TestSupport.descriptor(TestSupport.generatedModel()),
                LoadOptions.DEFAULT, f -> fractions.add(f))) {
            assertEquals("llama", loaded.info().architecture());
        }
        assertFalse(fractions.isEmpty());
        assertEquals(1.0, fractions.getLast(), 1e-6);

        BackendException cancelled = assertThrows(BackendException.class, () -> TestSupport.backend().load(
                TestSupport.descriptor(TestSupport.generatedModel()), LoadOptions.DEFAULT, f -> false));
        assertTrue(cancelled.getMessage().contains("cancelled"), cancelled.getMessage());

        BackendException failed = assertThrows(BackendException.class, () -> TestSupport.backend().load(
                TestSupport.descriptor(TestSupport.generatedModel()), LoadOptions.DEFAULT, f -> {
                    throw new IllegalStateException("listener broke");
                }));
        assertEquals("listener broke", failed.getCause().getMessage());
    }

    @Test
    void aBrokenFileIsAnExceptionWithLlamasReason(@TempDir Path dir) throws Exception {
        Path broken = dir.resolve("broken.gguf");
        Files.write(broken, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1, 2, 3});
        BackendException e = assertThrows(BackendException.class, () -> TestSupport.load(broken));
        assertTrue(e.getMessage().contains("cannot load"), e.getMessage());
        assertTrue(e.getMessage().contains("llama.cpp:"), "the native log explains: " + e.getMessage());
    }

    @Test
    void closingAModelClosesItsContextsAndLaterCallsFailCleanly() throws Exception {
        GgmlModel extra = TestSupport.load(TestSupport.generatedModel());
        InferenceContext context = extra.newContext(new ContextOptions(128, 1, 32, 0, false, false));
        Sampler sampler = context.sampler(SamplingParams.GREEDY, null);
        Decoding.prefill(context, 0, extra.tokenizer().encode("the cat", true, false), 0);
        extra.close();
        assertThrows(IllegalStateException.class, () -> context.decode(one(5, 3, 0)));
        assertThrows(IllegalStateException.class, () -> context.memory().maxPosition(0));
        assertThrows(IllegalStateException.class, () -> sampler.sample(0));
        assertThrows(IllegalStateException.class, () -> extra.tokenizer().encode("the", false, false));
        assertThrows(IllegalStateException.class, () -> extra.newContext(new ContextOptions(128, 1, 32, 0, false, false)));
        context.close();
        sampler.close();
        extra.close();
    }

    @Test
    void timingsCountPromptAndGeneratedTokens() throws Exception {
        try (GgmlContext context = (GgmlContext) context(256, 1, 64, false);
             Sampler greedy = context.sampler(SamplingParams.GREEDY, null)) {
            int[] prompt = prompt("the cat sat on the mat");
            Decoding.generate(context, greedy, tokenizer, 0, prompt, 5);
            GgmlContext.Performance perf = context.performance();
            assertEquals(prompt.length, perf.promptTokens());
            assertEquals(5, perf.generatedTokens());
            assertTrue(perf.promptMillis() > 0 && perf.generationMillis() > 0, perf.toString());
        }
    }
}
