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
import dev.mica.graph.StepOutputs;
import java.lang.foreign.MemorySegment;
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
    /** The last decode's logits, or its pooled embeddings. */
    private final StepOutputs outputs;
    private boolean closed;

    JavaContext(JavaModel model, ContextOptions options) throws BackendException {
        Pooling pooling = options.embeddings() ? Pooling.forEmbeddings(model.info(), model.name(), "java") : null;
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
            this.outputs = new StepOutputs(pooling, vocabSize, model.info().embeddingLength(), maxSequences);
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
            int[] outputRows = outputs.rowsToRead(rows);
            memory.checkPositions(positions, sequences);
            outputs.clear();
            int[] cells = memory.findCells(n);
            if (cells == null) return DecodeResult.NO_SPACE;
            memory.place(cells, positions, sequences);
            ComputeStep step = new ComputeStep(memory, tokens, positions, sequences, cells, outputRows, causalAttention);
            Tensor result;
            try {
                result = outputs.embeddings() ? pass.hiddenStates(step) : pass.forward(step);
            } catch (JavaOps.Aborted e) {
                memory.rollback(cells);
                return DecodeResult.ABORTED;
            } catch (RuntimeException e) {
                memory.rollback(cells);
                throw new BackendException("the " + model.info().architecture() + " forward pass failed: " + e.getMessage(), e);
            } finally {
                abortRequested.set(false);
            }
            int width = outputs.width();
            if (!(result instanceof FloatTensor f) || f.rows() != outputRows.length || (outputRows.length > 0 && f.width() != width)) {
                memory.rollback(cells);
                throw new BackendException("the " + model.info().architecture() + " forward pass returned " + result
                        + ", expected [" + outputRows.length + ", " + width + "]");
            }
            memory.commit(positions, sequences);
            outputs.store(f.data(), rows);
            return DecodeResult.OK;
        }
    }

    void checkSequence(int sequence) {
        BatchRows.checkSequence(sequence, maxSequences);
    }

    @Override
    public MemorySegment logits(int batchRow) {
        synchronized (lock) {
            ensureOpen();
            return outputs.logits(batchRow);
        }
    }

    /** A row's logits, copied (the sampler changes them). */
    float[] logitsCopy(int batchRow) {
        ensureOpen();
        return outputs.logitsCopy(batchRow);
    }

    @Override
    public float[] embedding(int sequence) {
        synchronized (lock) {
            ensureOpen();
            return outputs.embedding(sequence);
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
            return HostSampler.of(lock, this::logitsCopy, contextLength(), params, constraint, model.grammarVocabulary());
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
            outputs.clear();
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
