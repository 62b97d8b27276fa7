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
}
