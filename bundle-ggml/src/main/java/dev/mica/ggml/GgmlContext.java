package dev.mica.ggml;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import dev.mica.ggml.ffm.Layouts;
import dev.mica.ggml.ffm.Llama;
import dev.mica.ggml.ffm.Natives;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A libllama context: the KV memory of up to {@code maxSequences} sequences and the decode loop.
 *
 * <p>Every path into native code is checked here first, because libllama answers many mistakes by
 * aborting the process (GGML_ASSERT): a batch larger than {@code n_batch}, a sequence id out of
 * range, a token outside the vocabulary, logits of a row that produced none. Those become
 * {@link IllegalArgumentException}s instead.
 *
 * <p>All methods hold the context's lock, so a {@link #close()} from another thread waits for the
 * running call rather than freeing memory under it; {@link #abort()} is the exception, and
 * {@code close()} uses it to cut a long decode short.
 */
final class GgmlContext implements InferenceContext {
    private final GgmlModel model;
    private final Llama llama;
    /** Owns the batch struct and the abort callback stub; closed after {@code llama_free}. */
    private final Arena arena;
    private final MemorySegment ctx;
    private final MemorySegment batch;
    private final MemorySegment batchTokens, batchPositions, batchSeqIdCounts, batchOutputs;
    /** {@code batch.seq_id[i]}: one int slot per token (the batch was made for one sequence per token). */
    private final MemorySegment[] batchSeqIds;
    private final int contextLength;
    private final int batchCapacity;
    private final int maxSequences;
    private final int vocabSize;
    private final boolean embeddings;
    private final int poolingType;
    private final AtomicBoolean abortRequested;
    private final Object lock = new Object();
    private final GgmlMemory memory;
    private final Set<GgmlSampler> samplers = new HashSet<>();

    /** Rows of the last successful decode that have logits; empty before one and after a failed one. */
    private boolean[] outputRows = new boolean[0];
    private boolean closed;

    private GgmlContext(GgmlModel model, Llama llama, Arena arena, MemorySegment ctx, AtomicBoolean abortRequested,
                        boolean embeddings, boolean unifiedKv) {
        this.model = model;
        this.llama = llama;
        this.arena = arena;
        this.ctx = ctx;
        this.abortRequested = abortRequested;
        this.embeddings = embeddings;
        // What the context really got: n_ctx padded up to a multiple of 256, n_batch capped at the length asked for.
        this.contextLength = llama.nCtx(ctx);
        MemorySegment kv = llama.getMemory(ctx);
        // Without a memory (encoder-only models such as BERT) llama_decode runs the encoder, which
        // asserts that the whole batch fits one micro-batch.
        this.batchCapacity = kv.address() == 0 ? Math.min(llama.nBatch(ctx), llama.nUbatch(ctx)) : llama.nBatch(ctx);
        this.maxSequences = llama.nSeqMax(ctx);
        this.vocabSize = model.tokenizer().vocabSize();
        this.poolingType = llama.poolingType(ctx);

        this.batch = llama.batchInit(arena, batchCapacity, 0, 1);
        long n = batchCapacity;
        this.batchTokens = ((MemorySegment) Layouts.BATCH_TOKEN.get(batch, 0L)).reinterpret(n * Integer.BYTES);
        this.batchPositions = ((MemorySegment) Layouts.BATCH_POS.get(batch, 0L)).reinterpret(n * Integer.BYTES);
        this.batchSeqIdCounts = ((MemorySegment) Layouts.BATCH_N_SEQ_ID.get(batch, 0L)).reinterpret(n * Integer.BYTES);
        this.batchOutputs = ((MemorySegment) Layouts.BATCH_LOGITS.get(batch, 0L)).reinterpret(n);
        MemorySegment seqIds = ((MemorySegment) Layouts.BATCH_SEQ_ID.get(batch, 0L)).reinterpret(n * ADDRESS.byteSize());
        this.batchSeqIds = new MemorySegment[batchCapacity];
        for (int i = 0; i < batchCapacity; i++) {
            batchSeqIds[i] = seqIds.getAtIndex(ADDRESS, i).reinterpret(Integer.BYTES);
        }
        ModelInfo info = model.info();
        this.memory = new GgmlMemory(this, llama, kv, info.memoryKind(), unifiedKv);
    }

    static GgmlContext create(GgmlModel model, Llama llama, ContextOptions options) throws BackendException {
        long parallel = llama.maxParallelSequences();
        if (options.maxSequences() > parallel) {
            throw new IllegalArgumentException("llama.cpp holds at most " + parallel + " sequences per context, not "
                    + options.maxSequences());
        }
        ModelInfo info = model.info();
        String arch = info.architecture();
        Arena arena = Arena.ofShared();
        MemorySegment ctx = MemorySegment.NULL;
        try {
            MemorySegment params = llama.contextDefaultParams(arena);
            int threads = options.threads() > 0 ? options.threads() : model.defaultThreads();
            // Models with bidirectional attention (embedding models) must see a whole batch in one
            // micro-batch, or llama_decode asserts; so n_ubatch = n_batch for them.
            boolean nonCausal = Boolean.FALSE.equals(info.metadata().get(arch + ".attention.causal"));
            int ubatch = options.embeddings() || nonCausal
                    ? options.batchSize()
                    : Math.min(options.batchSize(), (int) Layouts.CTX_N_UBATCH.get(params, 0L));
            Layouts.CTX_N_CTX.set(params, 0L, options.contextLength());
            Layouts.CTX_N_BATCH.set(params, 0L, options.batchSize());
            Layouts.CTX_N_UBATCH.set(params, 0L, ubatch);
            Layouts.CTX_N_SEQ_MAX.set(params, 0L, options.maxSequences());
            Layouts.CTX_N_THREADS.set(params, 0L, threads);
            Layouts.CTX_N_THREADS_BATCH.set(params, 0L, threads);
            Layouts.CTX_EMBEDDINGS.set(params, 0L, options.embeddings());
            // Partial sequence copies (prefix sharing) need one KV stream for all sequences.
            Layouts.CTX_KV_UNIFIED.set(params, 0L, options.unifiedKv());
            // Keep timings: the engine reports prompt and generation speed.
            Layouts.CTX_NO_PERF.set(params, 0L, false);
            if (options.embeddings() && !info.metadata().containsKey(arch + ".pooling_type")) {
                // A generative model has no pooling of its own; Ollama embeds with it by the mean.
                Layouts.CTX_POOLING_TYPE.set(params, 0L, Layouts.POOLING_MEAN);
            }
            AtomicBoolean abortRequested = new AtomicBoolean();

            Natives.clearNativeErrors();
            ctx = llama.initFromModel(model.handle(), params);
            if (ctx.address() == 0) {
                throw new BackendException(Natives.withNativeErrors("llama.cpp cannot create a context of "
                        + options.contextLength() + " tokens for " + model.name()));
            }
            llama.setAbortCallback(ctx, abortCallback(abortRequested, arena), MemorySegment.NULL);
            return new GgmlContext(model, llama, arena, ctx, abortRequested, options.embeddings(), options.unifiedKv());
        } catch (BackendException | RuntimeException e) {
            if (ctx.address() != 0) {
                llama.free(ctx);
            }
            arena.close();
            throw e;
        }
    }

    /**
     * {@code bool (*)(void *)} reading the flag. The CPU backend polls it after every graph node, on
     * the thread driving the graph, so an abort lands within one node's work.
     */
    private static MemorySegment abortCallback(AtomicBoolean flag, Arena arena) {
        try {
            MethodHandle get = MethodHandles.lookup()
                    .findVirtual(AtomicBoolean.class, "get", MethodType.methodType(boolean.class))
                    .bindTo(flag);
            MethodHandle target = MethodHandles.dropArguments(get, 0, MemorySegment.class);
            return Linker.nativeLinker().upcallStub(target, FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS), arena);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public int maxSequences() {
        return maxSequences;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public int batchCapacity() {
        return batchCapacity;
    }

    /**
     * Decodes a batch. An {@link #abort()} that arrives while no decode runs applies to the next
     * one: the request to stop is not lost in the gap between two decodes.
     */
    @Override
    public DecodeResult decode(Batch input) throws BackendException {
        synchronized (lock) {
            ensureOpen();
            validate(input);
            int n = input.size();
            for (int i = 0; i < n; i++) {
                batchTokens.setAtIndex(JAVA_INT, i, input.token(i));
                batchPositions.setAtIndex(JAVA_INT, i, input.position(i));
                batchSeqIdCounts.setAtIndex(JAVA_INT, i, 1);
                batchSeqIds[i].set(JAVA_INT, 0, input.sequence(i));
                batchOutputs.set(JAVA_BYTE, i, (byte) (input.wantsLogits(i) || embeddings ? 1 : 0));
            }
            Layouts.BATCH_N_TOKENS.set(batch, 0L, n);

            outputRows = new boolean[0];
            Natives.clearNativeErrors();
            int rc;
            try {
                rc = llama.decode(ctx, batch);
            } finally {
                abortRequested.set(false);
            }
            memory.afterDecode(input, rc);
            return switch (rc) {
                case 0 -> {
                    boolean[] rows = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        rows[i] = input.wantsLogits(i) || embeddings;
                    }
                    outputRows = rows;
                    yield DecodeResult.OK;
                }
                case 1 -> DecodeResult.NO_SPACE;
                case 2 -> DecodeResult.ABORTED;
                case -1 -> throw new IllegalArgumentException(Natives.withNativeErrors("llama.cpp refused the batch"));
                default -> throw new BackendException(Natives.withNativeErrors("llama_decode failed with code " + rc));
            };
        }
    }

    /** What libllama would assert on, or quietly misread, checked before the call. */
    private void validate(Batch input) {
        int n = input.size();
        if (n == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        if (n > batchCapacity) {
            throw new IllegalArgumentException("batch of " + n + " tokens exceeds this context's batch capacity of "
                    + batchCapacity + " (n_batch, at most the context length)");
        }
        for (int i = 0; i < n; i++) {
            int token = input.token(i);
            if (token < 0 || token >= vocabSize) {
                throw new IllegalArgumentException("row " + i + ": token " + token + " is outside the vocabulary [0, "
                        + vocabSize + ")");
            }
            checkSequence(input.sequence(i));
            if (input.position(i) < 0) {
                throw new IllegalArgumentException("row " + i + ": negative position " + input.position(i));
            }
        }
    }

    @Override
    public MemorySegment logits(int batchRow) {
        synchronized (lock) {
            ensureOpen();
            checkOutputRow(batchRow);
            MemorySegment row = llama.getLogitsIth(ctx, batchRow);
            if (row.address() == 0) {
                throw new IllegalStateException("this model produces no logits (an embedding model?)");
            }
            return row.reinterpret((long) vocabSize * Float.BYTES, arena, null).asReadOnly();
        }
    }

    /** Rows without logits make {@code llama_get_logits_ith} (and so the samplers) assert in debug builds. */
    void checkOutputRow(int batchRow) {
        if (batchRow < 0 || batchRow >= outputRows.length || !outputRows[batchRow]) {
            throw new IllegalArgumentException("batch row " + batchRow
                    + " has no logits: mark it in the batch, and decode successfully first");
        }
    }

    @Override
    public float[] embedding(int sequence) {
        synchronized (lock) {
            ensureOpen();
            checkSequence(sequence);
            if (!embeddings) {
                throw new IllegalStateException("not an embeddings context: create it with ContextOptions.embeddings");
            }
            if (poolingType == Layouts.POOLING_NONE) {
                throw new IllegalStateException("the model declares no pooling, so there is no embedding per sequence");
            }
            MemorySegment pooled = llama.getEmbeddingsSeq(ctx, sequence);
            if (pooled.address() == 0) {
                throw new IllegalStateException("no pooled embedding for sequence " + sequence + ": decode it first");
            }
            MemorySegment handle = model.handle();
            int width = poolingType == Layouts.POOLING_RANK ? llama.modelNClsOut(handle) : llama.modelNEmbdOut(handle);
            return pooled.reinterpret((long) width * Float.BYTES).toArray(JAVA_FLOAT);
        }
    }

    @Override
    public GgmlMemory memory() {
        return memory;
    }

    @Override
    public Sampler sampler(SamplingParams params, Constraint constraint) throws BackendException {
        synchronized (lock) {
            ensureOpen();
            try (var _ = model.reading()) {
                GgmlSampler sampler = GgmlSampler.create(this, llama, params, constraint);
                samplers.add(sampler);
                return sampler;
            }
        }
    }

    @Override
    public void abort() {
        abortRequested.set(true);
    }

    /** libllama's timings since the context was made (or {@link #resetPerformance()}). */
    Performance performance() {
        synchronized (lock) {
            ensureOpen();
            // libllama books a decode's time when its results are collected; the last one may not be yet.
            llama.synchronize(ctx);
            try (Arena scratch = Arena.ofConfined()) {
                MemorySegment data = llama.perfContext(scratch, ctx);
                return new Performance(
                        (int) Layouts.PERF_N_P_EVAL.get(data, 0L),
                        (double) Layouts.PERF_T_P_EVAL_MS.get(data, 0L),
                        (int) Layouts.PERF_N_EVAL.get(data, 0L),
                        (double) Layouts.PERF_T_EVAL_MS.get(data, 0L));
            }
        }
    }

    void resetPerformance() {
        synchronized (lock) {
            ensureOpen();
            llama.perfContextReset(ctx);
        }
    }

    /** Tokens evaluated in prompt batches and one at a time, and the milliseconds each took. */
    record Performance(int promptTokens, double promptMillis, int generatedTokens, double generationMillis) {}

    @Override
    public void close() {
        // A decode in progress holds the lock: ask it to stop, then wait for it.
        abortRequested.set(true);
        synchronized (lock) {
            if (closed) {
                return;
            }
            for (GgmlSampler sampler : List.copyOf(samplers)) {
                sampler.close();
            }
            closed = true;
            llama.batchFree(batch);
            llama.free(ctx);
            arena.close();
        }
        model.forget(this);
    }

    // ---- for GgmlMemory and GgmlSampler ---------------------------------------------------------

    Object lock() {
        return lock;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("context is closed");
        }
    }

    void checkSequence(int sequence) {
        if (sequence < 0 || sequence >= maxSequences) {
            throw new IllegalArgumentException("sequence " + sequence + " is outside [0, " + maxSequences + ")");
        }
    }

    MemorySegment handle() {
        return ctx;
    }

    GgmlModel model() {
        return model;
    }

    int vocabSize() {
        return vocabSize;
    }

    void forget(GgmlSampler sampler) {
        synchronized (lock) {
            samplers.remove(sampler);
        }
    }

    @Override
    public String toString() {
        return "GgmlContext[" + model.name() + ", " + contextLength + " cells, " + maxSequences + " sequences, batch "
                + batchCapacity + "]";
    }
}
