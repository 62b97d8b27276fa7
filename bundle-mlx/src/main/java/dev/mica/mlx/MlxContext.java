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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
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
    /** Floats per output row: the vocabulary, or the embedding width in an embeddings context. */
    private final int width;
    private final boolean causalAttention;
    /** Null for a context that computes logits. */
    private final Pooling pooling;
    private final AtomicBoolean abortRequested = new AtomicBoolean();
    private final MlxOps ops;
    private final ForwardPass pass;
    private final MlxMemory memory;

    private float[] logits = new float[0];
    private int[] outputIndex = new int[0];
    /** Embeddings of the last decode, by sequence id; null for sequences it did not hold. */
    private float[][] pooled = new float[0][];
    private boolean closed;

    MlxContext(MlxModel model, ContextOptions options) throws BackendException {
        // refused before any MLX array exists, so a refusal leaves nothing to free
        this.pooling = options.embeddings() ? Pooling.forEmbeddings(model.info(), model.name(), "mlx") : null;
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
        this.width = pooling == null ? vocabSize : model.info().embeddingLength();
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
            // as libllama in embeddings mode: the pooling, not the batch's marks, says which rows come out
            int[] outputRows = pooling == null ? rows.outputRows() : pooling.rowsToRead(positions, sequences, maxSequences);
            int outputs = outputRows.length;
            memory.checkPositions(positions, sequences);
            outputIndex = new int[0];
            pooled = new float[0][];
            if (!memory.fits(n)) return DecodeResult.NO_SPACE;
            MlxStep step = new MlxStep(tokens, positions, sequences, outputRows, causalAttention);
            float[] out;
            try {
                out = rt.call(() -> run(step, outputs));
            } catch (MlxOps.Aborted e) {
                return DecodeResult.ABORTED;
            } catch (RuntimeException e) {
                throw new BackendException("the " + model.info().architecture() + " forward pass failed on MLX: " + e.getMessage(), e);
            } finally {
                abortRequested.set(false);
            }
            if (pooling != null) {
                pooled = pooling.pool(out, width, positions, sequences, maxSequences);
                return DecodeResult.OK;
            }
            logits = out;
            outputIndex = rows.outputIndex();
            return DecodeResult.OK;
        }
    }

    /** On the MLX thread. */
    private float[] run(MlxStep step, int outputs) {
        try {
            Tensor result = pooling == null ? pass.forward(step) : pass.hiddenStates(step);
            if (!(result instanceof MlxTensor r) || r.dims().length != 2 || r.dims()[0] != outputs || (outputs > 0 && r.dims()[1] != width)) {
                throw new IllegalStateException("the forward pass returned " + result + ", expected [" + outputs + ", " + width + "]");
            }
            List<MemorySegment> wanted = memory.pending();
            wanted.add(r.array());
            rt.mlx().eval(wanted);
            float[] out = outputs == 0 ? new float[0] : rt.mlx().floats(r.array());
            memory.commit(step);
            return out;
        } catch (RuntimeException | Error e) {
            memory.rollback();
            throw e;
        } finally {
            ops.release();
        }
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
        synchronized (lock) {
            ensureOpen();
            int o = outputOf(batchRow);
            return Arrays.copyOfRange(logits, o * vocabSize, (o + 1) * vocabSize);
        }
    }

    Object lock() {
        return lock;
    }

    @Override
    public float[] embedding(int sequence) {
        synchronized (lock) {
            ensureOpen();
            BatchRows.checkSequence(sequence, maxSequences);
            if (pooling == null) throw new IllegalStateException("not an embeddings context: create it with ContextOptions.embeddings");
            float[] v = sequence < pooled.length ? pooled[sequence] : null;
            if (v == null) throw new IllegalStateException("no pooled embedding for sequence " + sequence + ": the last decode did not hold it");
            return v.clone();
        }
    }

    @Override
    public MlxMemory memory() {
        return memory;
    }

    @Override
    public Sampler sampler(SamplingParams params, Constraint constraint) throws BackendException {
        return HostSampler.of(lock, this::logitsCopy, contextLength(), params, constraint, model::grammarVocabulary);
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
            logits = new float[0];
            pooled = new float[0][];
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
