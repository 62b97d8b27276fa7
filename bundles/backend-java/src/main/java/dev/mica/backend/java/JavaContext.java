package dev.mica.backend.java;

import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.Tensor;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import dev.mica.backend.java.tensor.FloatTensor;
import dev.mica.backend.java.tensor.Parallel;
import dev.mica.graph.BatchRows;
import dev.mica.graph.HostSampler;
import dev.mica.graph.Pooling;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sequences of one model in one KV memory, decoded in batches by the model's forward pass on a
 * thread pool of the context's own. All methods but {@link #abort()} hold the context's lock.
 *
 * <p>An embeddings context runs the pass only up to the final hidden states
 * ({@link ForwardPass#hiddenStates}), of every row whatever the batch marks (as libllama outputs
 * all tokens in embeddings mode), and keeps one pooled vector per sequence of the last batch
 * instead of logits.
 */
final class JavaContext implements InferenceContext {
    private final JavaModel model;
    private final Object lock = new Object();
    private final int contextLength;
    private final int maxSequences;
    private final int batchCapacity;
    private final Parallel pool;
    private final AtomicBoolean abortRequested = new AtomicBoolean();
    private final ForwardPass pass;
    private final JavaMemory memory;
    private final int vocabSize;
    private final boolean causalAttention;
    /** Null for a context that computes logits. */
    private final Pooling pooling;

    /** Logits of the last decode, one row per batch row that wanted them; {@code outputIndex[row]} is -1 for the others. */
    private float[] logits = new float[0];
    private int[] outputIndex = new int[0];
    /** Embeddings of the last decode, by sequence id; null for sequences it did not hold. */
    private float[][] pooled = new float[0][];
    private boolean closed;

    JavaContext(JavaModel model, ContextOptions options) throws BackendException {
        this.pooling = options.embeddings() ? Pooling.forEmbeddings(model.info(), model.name(), "java") : null;
        this.model = model;
        this.causalAttention = Pooling.causalAttention(model.info());
        this.contextLength = options.contextLength();
        this.maxSequences = options.maxSequences();
        this.batchCapacity = Math.min(options.batchSize(), options.contextLength());
        int threads = options.threads() > 0 ? options.threads() : model.defaultThreads();
        this.pool = new Parallel(threads, "mica-java-" + model.name());
        try {
            JavaOps ops = new JavaOps(pool, abortRequested::get, model.numerics());
            this.pass = model.build(ops);
            this.vocabSize = pass.vocabSize();
            this.memory = new JavaMemory(lock, model, pass.state(), contextLength, maxSequences);
        } catch (RuntimeException | BackendException e) {
            pool.close();
            throw e;
        }
    }

    Object lock() {
        return lock;
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
     * Decodes a batch. Nothing of a batch that fails, or is aborted, stays in the memory. An
     * {@link #abort()} that arrives while no decode runs applies to the next one.
     */
    @Override
    public DecodeResult decode(Batch batch) throws BackendException {
        synchronized (lock) {
            ensureOpen();
            BatchRows rows = BatchRows.of(batch, batchCapacity, vocabSize, maxSequences);
            int n = rows.size();
            int[] tokens = rows.tokens(), positions = rows.positions(), sequences = rows.sequences();
            int[] outputRows = pooling == null ? rows.outputRows() : pooling.rowsToRead(positions, sequences, maxSequences);
            int outputs = outputRows.length;
            memory.checkPositions(positions, sequences);
            outputIndex = new int[0];
            pooled = new float[0][];
            int[] cells = memory.findCells(n);
            if (cells == null) return DecodeResult.NO_SPACE;
            memory.place(cells, positions, sequences);
            ComputeStep step = new ComputeStep(memory, tokens, positions, sequences, cells, outputRows, causalAttention);
            Tensor result;
            try {
                result = pooling == null ? pass.forward(step) : pass.hiddenStates(step);
            } catch (JavaOps.Aborted e) {
                memory.rollback(cells);
                return DecodeResult.ABORTED;
            } catch (RuntimeException e) {
                memory.rollback(cells);
                throw new BackendException("the " + model.info().architecture() + " forward pass failed: " + e.getMessage(), e);
            } finally {
                abortRequested.set(false);
            }
            int width = pooling == null ? vocabSize : model.info().embeddingLength();
            if (!(result instanceof FloatTensor f) || f.rows() != outputs || (outputs > 0 && f.width() != width)) {
                memory.rollback(cells);
                throw new BackendException("the " + model.info().architecture() + " forward pass returned " + result
                        + ", expected [" + outputs + ", " + width + "]");
            }
            memory.commit(positions, sequences);
            if (pooling != null) {
                pooled = pooling.pool(f.data(), width, positions, sequences, maxSequences);
                return DecodeResult.OK;
            }
            logits = f.data();
            outputIndex = rows.outputIndex();
            return DecodeResult.OK;
        }
    }

    void checkSequence(int sequence) {
        BatchRows.checkSequence(sequence, maxSequences);
    }

    private int outputOf(int batchRow) {
        if (pooling != null) throw new IllegalStateException("an embeddings context computes no logits: it stops before the output projection");
        if (batchRow < 0 || batchRow >= outputIndex.length || outputIndex[batchRow] < 0) {
            throw new IllegalArgumentException("batch row " + batchRow + " has no logits: mark it in the batch, and decode successfully first");
        }
        return outputIndex[batchRow];
    }

    @Override
    public MemorySegment logits(int batchRow) {
        synchronized (lock) {
            ensureOpen();
            int o = outputOf(batchRow);
            return MemorySegment.ofArray(logits).asSlice((long) o * vocabSize * Float.BYTES, (long) vocabSize * Float.BYTES).asReadOnly();
        }
    }

    /** A row's logits, copied (the sampler changes them). */
    float[] logitsCopy(int batchRow) {
        ensureOpen();
        int o = outputOf(batchRow);
        return Arrays.copyOfRange(logits, o * vocabSize, (o + 1) * vocabSize);
    }

    @Override
    public float[] embedding(int sequence) {
        synchronized (lock) {
            ensureOpen();
            checkSequence(sequence);
            if (pooling == null) throw new IllegalStateException("not an embeddings context: create it with ContextOptions.embeddings");
            float[] v = sequence < pooled.length ? pooled[sequence] : null;
            if (v == null) throw new IllegalStateException("no pooled embedding for sequence " + sequence + ": the last decode did not hold it");
            return v.clone();
        }
    }

    @Override
    public JavaMemory memory() {
        return memory;
    }

    @Override
    public Sampler sampler(SamplingParams params, Constraint constraint) throws BackendException {
        synchronized (lock) {
            ensureOpen();
            return HostSampler.of(lock, this::logitsCopy, contextLength(), params, constraint, model::grammarVocabulary);
        }
    }

    @Override
    public void abort() {
        abortRequested.set(true);
    }

    @Override
    public void close() {
        abortRequested.set(true);
        synchronized (lock) {
            if (closed) return;
            closed = true;
            pool.close();
            logits = new float[0];
            pooled = new float[0][];
        }
        model.forget(this);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("context is closed");
    }

    @Override
    public String toString() {
        return "JavaContext[" + model.name() + ", " + contextLength + " cells, " + maxSequences + " sequences, batch " + batchCapacity
                + ", " + pool.threads() + " threads]";
    }
}
