package dev.mica.mlx;

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
import dev.mica.graph.BatchRows;
import dev.mica.graph.HostSampler;
import dev.mica.graph.Pooling;
import dev.mica.graph.StepOutputs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sequences of one model, decoded in batches by the model's forward pass over MLX. A decode records
 * the graph, evaluates the logits and the new KV together, copies the logits out and frees every
 * array of the step: nothing of a step outlives it but what the memory keeps. All methods but
 * {@link #abort()} hold the context's lock.
 *
 * <p>An embeddings context records the pass only up to the final hidden states
 * ({@link ForwardPass#hiddenStates}) of the rows its pooling reads (every row for the mean, one
 * per sequence otherwise: no vocabulary-sized matmul, and no more rows copied out than pooled),
 * evaluates them with the new KV in the same single eval, and pools them per sequence on the
 * host by graph-support's {@link Pooling}, so the vectors are pooled as on the Java backend.
 */
final class MlxContext implements InferenceContext {
    private final MlxModel model;
    private final MlxRuntime rt;
    private final Object lock = new Object();
    private final int contextLength, maxSequences, batchCapacity, vocabSize;
    private final boolean causalAttention;
    private final AtomicBoolean abortRequested = new AtomicBoolean();
    private final MlxOps ops;
    private final ForwardPass pass;
    private final MlxMemory memory;
    /** The last decode's logits, or its pooled embeddings. */
    private final StepOutputs outputs;
    private boolean closed;

    MlxContext(MlxModel model, ContextOptions options) throws BackendException {
        // refused before any MLX array exists, so a refusal leaves nothing to free
        Pooling pooling = options.embeddings() ? Pooling.forEmbeddings(model.info(), model.name(), "mlx") : null;
        this.causalAttention = Pooling.causalAttention(model.info());
        this.model = model;
        this.rt = model.runtime();
        this.contextLength = options.contextLength();
        this.maxSequences = options.maxSequences();
        this.batchCapacity = Math.min(options.batchSize(), options.contextLength());
        MlxMemory[] holder = new MlxMemory[1];
        this.ops = new MlxOps(rt, abortRequested::get, () -> holder[0]);
        this.pass = model.build(ops);
        this.vocabSize = pass.vocabSize();
        this.outputs = new StepOutputs(pooling, vocabSize, model.info().embeddingLength(), maxSequences);
        try {
            this.memory = holder[0] = new MlxMemory(lock, model, rt, pass.state(), contextLength, maxSequences);
        } catch (UnsupportedOperationException e) {
            throw new BackendException(e.getMessage(), e);
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

    /** Nothing of a batch that fails, or is aborted, stays in the memory. */
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
            if (!memory.fits(n)) return DecodeResult.NO_SPACE;
            MlxStep step = new MlxStep(tokens, positions, sequences, outputRows, causalAttention);
            float[] out;
            try {
                out = rt.call(() -> run(step, outputRows.length));
            } catch (MlxOps.Aborted e) {
                return DecodeResult.ABORTED;
            } catch (RuntimeException e) {
                throw new BackendException("the " + model.info().architecture() + " forward pass failed on MLX: " + e.getMessage(), e);
            } finally {
                abortRequested.set(false);
            }
            outputs.store(out, rows);
            return DecodeResult.OK;
        }
    }

    /** On the MLX thread. */
    private float[] run(MlxStep step, int outputRows) {
        try {
            Tensor result = outputs.embeddings() ? pass.hiddenStates(step) : pass.forward(step);
            int width = outputs.width();
            if (!(result instanceof MlxTensor r) || r.dims().length != 2 || r.dims()[0] != outputRows || (outputRows > 0 && r.dims()[1] != width)) {
                throw new IllegalStateException("the forward pass returned " + result + ", expected [" + outputRows + ", " + width + "]");
            }
            List<MemorySegment> wanted = memory.pending();
            wanted.add(r.array());
            rt.mlx().eval(wanted);
            float[] out = outputRows == 0 ? new float[0] : rt.mlx().floats(r.array());
            memory.commit(step);
            return out;
        } catch (RuntimeException | Error e) {
            memory.rollback();
            throw e;
        } finally {
            ops.release();
        }
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
        synchronized (lock) {
            ensureOpen();
            return outputs.logitsCopy(batchRow);
        }
    }

    Object lock() {
        return lock;
    }

    @Override
    public float[] embedding(int sequence) {
        synchronized (lock) {
            ensureOpen();
            return outputs.embedding(sequence);
        }
    }

    @Override
    public MlxMemory memory() {
        return memory;
    }

    @Override
    public Sampler sampler(SamplingParams params, Constraint constraint) throws BackendException {
        return HostSampler.of(lock, this::logitsCopy, contextLength(), params, constraint, model.grammarVocabulary());
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
            memory.free();
            rt.run(ops::close);
            outputs.clear();
        }
        model.forget(this);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("context is closed");
    }

    static float[] row(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_FLOAT);
    }
}
