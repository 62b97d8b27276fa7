package dev.mica.api.arch;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The tokens a forward pass computes in one go, as the backend lays them out: each row a token,
 * with its position in its sequence. Sequence ids, KV cells and masks stay with the backend; ops
 * that touch per-sequence state ({@link TensorOps#attention}, {@link TensorOps#conv1d},
 * {@link TensorOps#gatedDelta}) take the step to find them. Arrays are the backend's: read, never
 * write.
 */
@ProviderType
public interface Step {
    /** Number of rows (tokens). */
    int size();

    /** Token ids, one per row. */
    int[] tokens();

    /** Each row's position in its sequence (what RoPE rotates by). */
    int[] positions();

    /**
     * The rows whose output is wanted, ascending: their logits from {@link ForwardPass#forward},
     * their hidden states from {@link ForwardPass#hiddenStates}.
     */
    int[] outputs();
}
