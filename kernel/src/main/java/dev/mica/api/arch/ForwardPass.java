package dev.mica.api.arch;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One model's computation over a backend's {@link TensorOps}. The backend calls
 * {@link #forward(Step)} from one thread at a time.
 */
@ConsumerType
public interface ForwardPass {
    /** What the backend keeps per sequence for each layer. */
    StateLayout state();

    /** Rows of the vocabulary: the width of the logits {@link #forward} returns. */
    int vocabSize();

    /**
     * Runs the model over a step's tokens, reading and extending the sequences' state, and returns
     * the logits of the rows the step asks for ({@link Step#outputs()}): shape
     * {@code [outputs, vocabSize]}, F32, in that order.
     */
    Tensor forward(Step step);

    /**
     * Runs the model as {@link #forward} does but stops short of the output projection: the final
     * hidden states of the rows the step asks for, after the output norm (llama.cpp's
     * {@code t_embd}, what it pools embeddings from): shape {@code [outputs, width]}, F32, in that
     * order. A backend computing embeddings calls this instead of {@link #forward}, which spares it
     * the vocabulary-sized matmul.
     *
     * <p>This default refuses, so architectures written before 1.1 still compile and run; they
     * just cannot serve embeddings.
     *
     * @throws UnsupportedOperationException if the architecture does not expose its hidden states
     * @since 1.1
     */
    default Tensor hiddenStates(Step step) {
        throw new UnsupportedOperationException(getClass().getName() + " does not expose its hidden states (ForwardPass.hiddenStates)");
    }
}
